"""Verification's store for one batch of records: each case read once at most, every write
kept in memory and made at the end, in bulk.

The handler runs on it record by record, exactly as on the store itself. `flush` writes in the
order the handler writes one by one: consent records (one stored before is kept), recheck
markers, then the cases. A submission is almost always its case's first event, so the cases of
a batch's submissions are taken as absent without a read (`expect_new`): each is inserted whole
(on the local store an insert costs no read and no update turn), and one found stored after all
(a delivery seen before) fails the flush, after the markers of those stored before were left as
they were. A case read and found absent is inserted too, and set field by field, as one by one,
only if another writer stored it in between. Whatever fails, the batch is handled again record by
record on the store itself, where every write is idempotent (a case that emitted its verdict
re-emits it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pymongo import DeleteOne, UpdateOne
from vouchers_shared.store import Document, bulk, find_by_ids, insert_new, insert_or_taken, opened

from verification.adapters.mongo_store import VerificationStore, case_fields
from verification.domain.model import ConsentRecord


class CasesStoredBefore(Exception):
    """Cases taken as new were found stored: the batch holds deliveries seen before."""

    def __init__(self, application_ids: Iterable[str]) -> None:
        super().__init__(f"cases stored before: {', '.join(sorted(application_ids))}")


class BatchedStore(VerificationStore):
    def __init__(self, store: VerificationStore) -> None:
        self.cases, self.consents, self.rechecks = store.cases, store.consents, store.rechecks
        self._cases: dict[str, Document | None] = {}
        self._case_sets: dict[str, Document] = {}
        self._new_cases: set[str] = set()  # absent in this batch
        self._unread: set[str] = set()  # taken as absent without a read
        self._consents: list[Document] = []
        self._markers: dict[str, datetime] = {}
        self._settled: list[str] = []

    async def prefetch(self, application_ids: Iterable[str]) -> None:
        wanted = [i for i in dict.fromkeys(application_ids) if i not in self._cases]
        found = await find_by_ids(self.cases, wanted)
        self._cases.update((i, opened(found[i]) if i in found else None) for i in wanted)

    def expect_new(self, application_ids: Iterable[str]) -> None:
        """Take these cases as absent without reading them; `flush` finds any stored after all."""
        for i in application_ids:
            if i not in self._cases:
                self._cases[i] = None
                self._unread.add(i)

    async def case(self, application_id: str) -> Document | None:
        if application_id not in self._cases:
            await self.prefetch([application_id])
        return self._cases[application_id]

    async def record(self, record: ConsentRecord) -> bool:
        """Kept for the flush, which leaves a record stored before as it is."""
        self._consents.append(self.consent_document(record))
        return True

    async def save_case(self, application_id: str, fields: Document, *, settled: bool = False) -> None:
        if fields.get("pending") or (not settled and "next_attempt_at" in fields):
            self._markers[application_id] = fields["next_attempt_at"]
        case = self._cases.get(application_id)
        if case is None:
            case = {"_id": application_id}
            self._new_cases.add(application_id)
        self._cases[application_id] = {**case, **fields}  # the handler's own, handed over
        self._case_sets.setdefault(application_id, {}).update(fields)
        if settled:
            self._settled.append(application_id)

    async def flush(self) -> None:
        await insert_new(self.consents, self._consents)
        markers = self._markers.items()
        await insert_new(
            self.rechecks, [{"_id": i, "next_attempt_at": at} for i, at in markers if i in self._unread]
        )
        await bulk(
            self.rechecks,
            [
                UpdateOne({"_id": i}, {"$set": {"next_attempt_at": at}}, upsert=True)
                for i, at in markers
                if i not in self._unread
            ],
        )
        new = [self._cases[i] for i in self._case_sets if i in self._new_cases]
        inserts = [case_fields(d) for d in new if d is not None]
        taken = {d["_id"] for d in await insert_or_taken(self.cases, inserts)}
        if taken & self._unread:
            raise CasesStoredBefore(taken & self._unread)
        sets = {
            i: case_fields(s) for i, s in self._case_sets.items() if i not in self._new_cases or i in taken
        }
        await bulk(self.cases, [UpdateOne({"_id": i}, {"$set": s}, upsert=True) for i, s in sets.items()])
        await bulk(self.rechecks, [DeleteOne({"_id": i}) for i in self._settled])
