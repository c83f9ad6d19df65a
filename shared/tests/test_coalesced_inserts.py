"""Concurrent single-document inserts go to the store together, and each caller still learns
its own outcome: stored, its id taken, or the store's error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure
from vouchers_shared.coalesced import CoalescedInserts
from vouchers_shared.testing.memory_mongo import MemoryMongo


def collection_with_bulk_sizes() -> tuple[Any, list[int]]:
    collection: Any = MemoryMongo()["db"]["docs"]
    sizes: list[int] = []
    real = collection.bulk_write

    async def counted(requests: list[Any], ordered: bool = True) -> Any:
        sizes.append(len(requests))
        await asyncio.sleep(0.01)  # a round trip: callers arriving meanwhile wait for the next
        return await real(requests, ordered)

    collection.bulk_write = counted
    return collection, sizes


async def test_callers_at_the_same_moment_share_one_write_and_a_lone_one_goes_at_once() -> None:
    collection, sizes = collection_with_bulk_sizes()
    inserts = CoalescedInserts(collection)
    await asyncio.gather(*(inserts.insert({"_id": n}) for n in range(20)))
    assert sizes == [20]
    assert sorted(collection.docs) == list(range(20))

    await inserts.insert({"_id": "alone"})
    assert sizes == [20, 1]


async def test_callers_arriving_during_a_write_go_together_in_the_next() -> None:
    collection, sizes = collection_with_bulk_sizes()
    inserts = CoalescedInserts(collection, most=50)

    async def later(n: int) -> None:
        await asyncio.sleep(0.002)  # the first write is on its way
        await inserts.insert({"_id": n})

    await asyncio.gather(inserts.insert({"_id": "first"}), *(later(n) for n in range(120)))
    assert sizes == [1, 50, 50, 20]
    assert len(collection.docs) == 121


async def test_a_taken_id_fails_its_caller_alone() -> None:
    collection, _ = collection_with_bulk_sizes()
    await collection.insert_one({"_id": 3, "first": True})
    inserts = CoalescedInserts(collection)
    outcomes = await asyncio.gather(*(inserts.insert({"_id": n}) for n in range(6)), return_exceptions=True)
    assert [type(o).__name__ for o in outcomes] == ["NoneType"] * 3 + ["DuplicateKeyError"] + ["NoneType"] * 2
    assert isinstance(outcomes[3], DuplicateKeyError)
    assert outcomes[3].code == 11000
    assert collection.docs[3] == {"_id": 3, "first": True}
    assert sorted(collection.docs) == list(range(6))


async def test_a_store_error_reaches_every_caller_of_that_write_and_no_later_one() -> None:
    collection, sizes = collection_with_bulk_sizes()
    counted = collection.bulk_write
    failures = [OperationFailure("the store is away", 91)]

    async def failing_once(requests: list[Any], ordered: bool = True) -> Any:
        if failures:
            sizes.append(len(requests))
            raise failures.pop()
        return await counted(requests, ordered)

    collection.bulk_write = failing_once
    inserts = CoalescedInserts(collection)
    outcomes = await asyncio.gather(*(inserts.insert({"_id": n}) for n in range(4)), return_exceptions=True)
    assert all(isinstance(o, OperationFailure) for o in outcomes)
    assert collection.docs == {}

    await inserts.insert({"_id": "after"})
    assert list(collection.docs) == ["after"]
    assert sizes == [4, 1]


async def test_a_caller_that_gives_up_stops_no_one_else() -> None:
    collection, sizes = collection_with_bulk_sizes()
    inserts = CoalescedInserts(collection)
    gives_up = asyncio.create_task(inserts.insert({"_id": "gone"}))
    stays = asyncio.create_task(inserts.insert({"_id": "stays"}))
    await asyncio.sleep(0.001)
    gives_up.cancel()
    await stays
    with pytest.raises(asyncio.CancelledError):
        await gives_up
    assert sorted(collection.docs) == ["gone", "stays"]  # its document was on its way already
    assert sizes == [2]
