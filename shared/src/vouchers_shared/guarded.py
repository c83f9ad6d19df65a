"""Compare-and-set writes, atomic on every MongoDB-protocol store the suite supports.

MongoDB applies a conditional write (`{"_id": x, "revision": n}`) atomically, through the id
index. FerretDB 1.x does not: it queries, then writes, so two writers can both find the
condition true. And on SQLite it uses an index only for a filter that is exactly `{"_id": x}`.
So on FerretDB the document is read by id, the condition checked here and the write made by
id, all while this writer holds the document's guard: a document in `guard_leases` whose id
names the document and a time slot. An insert with a unique id is atomic on every store, so
only one writer can hold a slot, however many race for it.

A guard lasts to the end of its slot; a writer that would start within `MARGIN` of that end
takes the next slot too. The read, the check and the write take milliseconds, so the guard
outlives them by far; a writer that dies holding one delays the others until its slot ends
(`SLOT`), never longer. A writer that cannot have the guard within `WAIT` reports the store as
busy (a transient error: the message is retried, the HTTP request answers 503).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from vouchers_shared.errors import TransientError
from vouchers_shared.store import BULK_PART, DUPLICATE_KEY, Document, bulk, find_by_ids, is_ferretdb

Condition = Callable[[Document], bool]
LEASES = "guard_leases"
SLOT = 30.0  # seconds a guard lasts at most
MARGIN = 5.0  # a guard taken closer than this to its slot's end takes the next slot too
WAIT = 5.0  # seconds a writer waits for a guard another writer holds
SPARE = 1.0  # a write under guards starts at least this long before they run out


class GuardBusy(TransientError):
    """Another writer held the document's guard for longer than a writer waits."""


@asynccontextmanager
async def guard(
    collection: AsyncCollection[Document],
    doc_id: Any,
    *,
    wait_s: float = WAIT,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[None]:
    """Hold the document's guard for the duration of the block (see the module docstring)."""
    leases = collection.database[LEASES]
    deadline = time.monotonic() + wait_s
    while True:
        held = await _take(leases, f"{collection.name}/{doc_id}", clock())
        if held:
            break
        if time.monotonic() >= deadline:
            raise GuardBusy(f"{collection.name}/{doc_id} is being written by another writer")
        await asyncio.sleep(random.uniform(0.005, 0.025))  # noqa: S311 - spreads retries only
    try:
        yield
    finally:
        for lease_id in held:
            await leases.delete_one({"_id": lease_id})


@asynccontextmanager
async def guard_all(
    collection: AsyncCollection[Document], doc_ids: Sequence[Any], *, clock: Callable[[], float] = time.time
) -> AsyncIterator[float]:
    """Hold the guards of all `doc_ids` for the duration of the block, taken at once (one bulk
    insert): a batch's writer. Yields the instant (`clock`) the guards run out: a write made
    later is no longer guarded. When another writer holds any of them, nothing is held and
    GuardBusy is raised at once (the batch goes record by record, each of which waits)."""
    leases = collection.database[LEASES]
    now = clock()
    slots = _slots(now)
    wanted = [f"{collection.name}/{doc_id}#{n}" for doc_id in doc_ids for n in slots]
    taken: list[str] = []
    busy = False
    for start in range(0, len(wanted), BULK_PART):
        part = wanted[start : start + BULK_PART]
        try:
            await leases.bulk_write([InsertOne({"_id": i, "at": now}) for i in part], ordered=False)
        except BulkWriteError as exc:
            refused = {part[e["index"]] for e in exc.details.get("writeErrors", ())}
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", ())):
                await _give_back(leases, taken + [i for i in part if i not in refused])
                raise
            taken.extend(i for i in part if i not in refused)
            busy = True
            break
        taken.extend(part)
    if busy:
        await _give_back(leases, taken)
        raise GuardBusy(f"{collection.name}: a document of the batch is being written by another writer")
    try:
        yield (slots[-1] + 1) * SLOT
    finally:
        await _give_back(leases, taken)


async def _give_back(leases: AsyncCollection[Document], lease_ids: list[str]) -> None:
    if lease_ids:
        await leases.delete_many({"_id": {"$in": lease_ids}})


def _slots(now: float) -> list[int]:
    slot = int(now // SLOT)
    return [slot, slot + 1] if (slot + 1) * SLOT - now < MARGIN else [slot]


async def _take(leases: AsyncCollection[Document], name: str, now: float) -> list[str]:
    wanted = _slots(now)
    taken: list[str] = []
    for n in wanted:
        lease_id = f"{name}#{n}"
        try:
            await leases.insert_one({"_id": lease_id, "at": now})
        except DuplicateKeyError:
            for done in taken:
                await leases.delete_one({"_id": done})
            return []
        taken.append(lease_id)
    return taken


async def replace_if(
    collection: AsyncCollection[Document], doc_id: Any, where: Document, replacement: Document
) -> bool:
    """Replace the document `doc_id` if its top-level fields still equal `where`."""
    if not await is_ferretdb(collection.database.client):
        result = await collection.replace_one({"_id": doc_id, **where}, replacement)
        return result.matched_count == 1
    async with guard(collection, doc_id):
        current = await collection.find_one({"_id": doc_id})
        if current is None or any(current.get(k) != v for k, v in where.items()):
            return False
        await collection.replace_one({"_id": doc_id}, replacement)
        return True


async def update_if(
    collection: AsyncCollection[Document], doc_id: Any, where: Document, holds: Condition, update: Document
) -> bool:
    """Apply `update` to the document `doc_id` if it matches the query `where`; `holds` says the
    same of a document as a predicate (checked here when the store cannot check `where` by id)."""
    if not await is_ferretdb(collection.database.client):
        result = await collection.update_one({"_id": doc_id, **where}, update)
        return result.matched_count == 1
    async with guard(collection, doc_id):
        current = await collection.find_one({"_id": doc_id})
        if current is None or not holds(current):
            return False
        await collection.update_one({"_id": doc_id}, update)
        return True


async def update_all_if(
    collection: AsyncCollection[Document],
    updates: Mapping[Any, Document],
    where: Document,
    holds: Condition,
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    """`update_if` for each document of `updates` (its id: its update), in bulk: on MongoDB one
    bulk write of conditional updates; on FerretDB, under the guards of all of them at once
    (`guard_all`), one read by id each, and one bulk write by id of those that hold. When
    another writer holds a guard, or the guards would run out first, each goes through
    `update_if`, which waits for its own."""
    if not updates:
        return
    if not await is_ferretdb(collection.database.client):
        await bulk(collection, [UpdateOne({"_id": i, **where}, u) for i, u in updates.items()])
        return
    try:
        async with guard_all(collection, list(updates), clock=clock) as until:
            current = await find_by_ids(collection, list(updates))
            if clock() > until - SPARE:
                raise GuardBusy(f"{collection.name}: the guards ran out before the writes")
            held = [i for i in updates if i in current and holds(current[i])]
            await bulk(collection, [UpdateOne({"_id": i}, updates[i]) for i in held])
            return
    except GuardBusy:
        pass
    for doc_id, update in updates.items():
        await update_if(collection, doc_id, where, holds, update)
