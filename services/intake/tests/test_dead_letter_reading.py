"""Reading a dead-letter topic: a record parked twice (a crash between parking and the commit)
is listed and replayed once."""

from __future__ import annotations

from collections.abc import AsyncIterator

from vouchers_shared.messaging.dlq import Parked, first_of_each_id


def dead_letter(offset: int, dlq_id: str | None) -> Parked:
    headers = {"dlq_error": "boom"} | ({"dlq_id": dlq_id} if dlq_id is not None else {})
    return Parked(partition=0, offset=offset, key="K", headers=headers, body=b"{}")


async def stream(*records: Parked) -> AsyncIterator[Parked]:
    for record in records:
        yield record


async def test_a_record_parked_twice_is_read_once_and_records_without_an_id_all_are() -> None:
    records = [
        dead_letter(0, "eligibility/t/3/7"),
        dead_letter(1, None),
        dead_letter(2, "eligibility/t/3/7"),
        dead_letter(3, "notification/t/3/7"),
        dead_letter(4, None),
    ]
    kept = [r.offset async for r in first_of_each_id(stream(*records))]
    assert kept == [0, 1, 3, 4]
