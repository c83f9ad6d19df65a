"""The cases of one batch of records: read once, changed in memory, written in bulk.

Cases are written by the case consumer, the HTTP API and the sweep. One at a time, each write
is a compare-and-set on the case's revision (`NotificationStore.save`). A batch keeps that:

- on MongoDB, each case is replaced only if its stored revision is still the one the batch
  read (one bulk write of conditional replacements, whose matched count says if all held);
- on FerretDB, whose conditional writes are not atomic, the batch holds the guards of all its
  cases (`guarded.guard_all`, one bulk insert) from before it reads them until after its last
  write, so no other writer can write them in between, and writes them by id.

The batch reads only the cases it has neither kept nor expects to be new. A case this process
wrote last and kept (`KeptCases`, checked in `case_writes` once the guards are held) is as
stored; a case expected to be new (one this process does not hold) is inserted unread, and
one the insert finds stored after all is read then, and the batch applies its records to it
again (its index entry put back first).

A batch that cannot hold a guard, whose guards ran out before a write, or that finds a case
changed, raises: its records are handled again one by one (`NotificationStore.save`), which
waits for guards and reads again. The index entries it wrote for such cases are first written
again as the stored cases have them.

Each changed case's index entry and its new verdicts' findings are written before the case, and
an idle entry removed after it (and not written before), as one at a time; each in one bulk
write for the batch.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from pymongo import DeleteOne, ReplaceOne
from vouchers_shared.errors import TransientError
from vouchers_shared.guarded import guard_all
from vouchers_shared.store import (
    Document,
    bulk,
    find_by_ids,
    insert_or_taken,
    is_ferretdb,
    packed,
    replace_all,
)

from notification.adapters.mongo_store import NotificationStore, StoredCase


class CasesChanged(TransientError):
    """A case of the batch was written by another writer since the batch read it."""


GUARD_SPARE_S = 1.0  # a write by id starts at least this long before the batch's guards run out


class CaseBatch:
    def __init__(
        self,
        store: NotificationStore,
        cases: dict[str, StoredCase],
        guarded_until: float | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._guarded_until, self._clock = store, guarded_until, clock
        self.cases = cases  # as read, then as changed by the batch
        self._written: dict[str, int] = {i: c.revision for i, c in cases.items()}  # 0: none stored
        self.written: dict[str, bytes] = {}  # each case as the batch last wrote it, packed

    @classmethod
    @asynccontextmanager
    async def of(
        cls,
        store: NotificationStore,
        application_ids: Sequence[str],
        clock: Callable[[], float] = time.time,
        partitions: Mapping[str, int] | None = None,
        new: Collection[str] = (),
    ) -> AsyncIterator[CaseBatch]:
        """The batch's cases (those stored), guarded on FerretDB until the block ends.

        Cases this process kept (`partitions`: their records' partitions) are not read, nor
        are those in `new` that this process does not hold (inserted unread; one found stored
        is read then, see `write`). The cases the batch wrote are kept when the block ends, and
        none of its cases if it fails.
        """
        kept, generation = store.writes.kept, store.writes.kept.generation
        async with AsyncExitStack() as stack:
            until = None
            if await is_ferretdb(store.cases.database.client):
                until = await stack.enter_async_context(guard_all(store.cases, application_ids, clock=clock))
            stored = {i for i in new if kept.holds(i)}
            trusted = await store.writes.trusted(partitions or {})
            unread = set(trusted) | (set(new) - stored)
            found = await find_by_ids(store.cases, [i for i in application_ids if i not in unread])
            cases = {i: store.stored_of(doc) for i, doc in {**found, **trusted}.items()}
            batch = cls(store, cases, until, clock)
            try:
                yield batch
            except BaseException:
                kept.drop(application_ids)
                raise
            kept.keep(batch.written, generation)

    def put(self, stored: StoredCase) -> None:
        self.cases[stored.case.application_id] = stored

    async def write(self, changed: Sequence[StoredCase]) -> set[str]:
        """Write `changed` (each at its next revision) with their index entries. Returns the ids
        of the cases expected to be new (inserted unread) found stored after all: those are not
        written, and are in `cases` as stored, for the batch to apply their records to again."""
        if not changed:
            return set()
        forms = [self._store.written_form(stored) for stored in changed]
        docs, entries = [doc for doc, _ in forms], [entry for _, entry in forms]
        idle = {e["_id"] for e in entries if self._store.is_idle(e)}  # removed after the case, not written
        await replace_all(
            self._store.index,
            [e for s, e in zip(changed, entries, strict=True) if e != s.entry and e["_id"] not in idle],
        )
        await self._store.keep_findings(changed)
        taken = await self._write_cases(docs)
        for stored, entry in zip(changed, entries, strict=True):
            if stored.case.application_id not in taken:
                self._store.written(stored)
                stored.entry = entry
                self._written[stored.case.application_id] = stored.revision
        gone = [DeleteOne({"_id": i}) for i in idle if i not in taken]
        await bulk(self._store.index, gone)  # each by id: the index may be large
        return taken

    async def _write_cases(self, docs: list[Document]) -> set[str]:
        new = [d for d in docs if not self._written.get(d["_id"])]
        known = [d for d in docs if self._written.get(d["_id"])]
        taken = {str(d["_id"]) for d in await insert_or_taken(self._store.cases, new)}
        if taken:  # stored since, or before: read as stored, their entries put back
            found = await self._entries_as_stored(sorted(taken))
            if set(found) != taken:
                raise CasesChanged("a case of the batch was stored, then could not be read")
            for application_id, doc in found.items():
                self.cases[application_id] = self._store.stored_of(doc)
                self._written[application_id] = self.cases[application_id].revision
        if self._guarded_until is not None:  # no other writer while the batch holds the guards
            if self._clock() > self._guarded_until - GUARD_SPARE_S:
                raise CasesChanged("the batch's guards ran out before its cases were written")
            await replace_all(self._store.cases, known)
        else:
            requests = [ReplaceOne({"_id": d["_id"], "revision": self._written[d["_id"]]}, d) for d in known]
            if await bulk(self._store.cases, requests) != len(requests):
                await self._entries_as_stored([d["_id"] for d in known])
                raise CasesChanged("a case of the batch changed since it was read")
        self.written.update((d["_id"], packed(d)) for d in docs if d["_id"] not in taken)
        return taken

    async def _entries_as_stored(self, application_ids: list[str]) -> dict[str, Document]:
        """Write the index entries of cases as stored (an idle one removed): the batch wrote
        its own first. Returns the cases as stored."""
        found: dict[str, Document] = await find_by_ids(self._store.cases, application_ids)
        entries = [self._store.entry_document(doc) for doc in found.values()]
        idle = [e["_id"] for e in entries if self._store.is_idle(e)]
        await replace_all(self._store.index, [e for e in entries if e["_id"] not in idle])
        await bulk(self._store.index, [DeleteOne({"_id": i}) for i in idle])
        return found
