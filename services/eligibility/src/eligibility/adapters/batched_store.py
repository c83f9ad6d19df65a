"""Eligibility's store for one batch of records: each document read once, every write kept in
memory and made at the end, in bulk.

The handlers run on it one record after another, exactly as on the store itself, and see their
own writes at once. `flush` then writes, in the order the handlers write them one by one:
new applications, ledgers, applicants' contract indexes, the applications' changed fields, and
what the later stages emitted. A
ledger is written only if the stored one is still at the revision this batch read, as one by
one. Whatever fails (a ledger moved, an application stored before by a delivery that stopped
in between), the batch is handled again record by record on the store itself, where every
write is idempotent.

The applications this process inserted are kept (`KeptApplications`): the rule book reads an
application moments after the conflict check inserted it, in another batch. So are the ledgers
the rule-book consumer read or wrote (`KeptLedgers`): a decision comes moments after the
verdict whose ledger it changes.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable
from typing import Any

from pymongo import InsertOne, UpdateOne
from vouchers_shared.kept import KeptDocuments
from vouchers_shared.store import Document, bulk, find_by_ids, insert_new, opened

from eligibility.adapters.mongo_store import (
    COI_STAGE,
    RULES_STAGE,
    ConcurrentUpdate,
    EligibilityStore,
    application_document,
    emitted_document,
    emitted_id,
    emitted_inside,
    emitted_outbox,
    ledger_as_stored,
    ledger_id,
)
from eligibility.domain.ledger import Ledger

_ABSENT: Document = {}  # read, and not stored
# Applications kept after their insert: the rule book's records follow the conflict check's by
# the rule-book consumer's lag, a few hundred records in a backlog. About 5 KB each, packed.
KEPT_APPLICATIONS = 3_000


class KeptApplications(KeptDocuments):
    """The applications this process inserted last, so that a later batch need not read them.
    What the stages read of an application (the filing, its applicant, year, contracts and the
    conflict check's events) never changes after its insert; one that this process changes
    after it is dropped all the same, so a kept one is always as stored by this process."""

    def __init__(self, size: int = KEPT_APPLICATIONS) -> None:
        super().__init__(size)


# Ledgers kept after a batch, as stored (revision 0: none stored), packed: a few hundred bytes
# each, the applicants of a filing peak.
KEPT_LEDGERS = 20_000


class KeptLedgers:
    """The ledgers as the rule-book consumer's last batches read or wrote them, so that its next
    batches need not read them again. That consumer is the ledgers' one writer (one partition of
    its topics, one applicant's records, reach one process at a time), so a kept ledger is as
    stored until the group moves partitions or a record is handled on its own: both forget them
    all (`clear`), and so does a batch that fails. A write of a ledger is made only at the
    revision it was read at, so a ledger another process wrote all the same (one still finishing
    a batch from before a rebalance) fails the batch that kept it, and is read again."""

    def __init__(self, size: int = KEPT_LEDGERS) -> None:
        self._kept = KeptDocuments(size)

    def get(self, key: str) -> Ledger | None:
        doc = self._kept.get(key)
        return None if doc is None else EligibilityStore.as_ledger(doc)

    def keep(self, key: str, ledger: Ledger) -> None:
        self._kept.keep(key, ledger.model_dump(mode="json"))

    def clear(self) -> None:
        self._kept.clear()


class BatchedStore(EligibilityStore):
    def __init__(
        self,
        store: EligibilityStore,
        kept: KeptApplications | None = None,
        ledgers: KeptLedgers | None = None,
    ) -> None:
        self.applications, self.ledgers, self.contract_index, self.emitted = (
            store.applications,
            store.ledgers,
            store.contract_index,
            store.emitted,
        )
        self._store, self._kept = store, kept or KeptApplications(size=0)
        self._kept_ledgers = ledgers or KeptLedgers(size=0)
        self._apps: dict[str, Document] = {}
        self._from_kept: set[str] = set()
        self._new_apps: list[str] = []
        self._app_sets: dict[str, Document] = {}
        self._indexes: dict[str, Document] = {}
        self._index_sets: dict[str, Document] = {}
        self._ledgers_read: dict[str, Ledger] = {}
        self._ledgers: dict[str, Ledger] = {}
        self._emitted: dict[str, Document] = {}

    # --- reads, once per document and batch -----------------------------------------------

    async def prefetch(self, application_ids: Iterable[str], indexed: Iterable[str] = ()) -> None:
        """Read the batch's applications, then their applicants' ledgers (and contract indexes
        for those in `indexed`), each kind in one go: a record then finds them in memory."""
        wanted = [i for i in dict.fromkeys(application_ids) if i not in self._apps]
        for application_id in wanted:
            if (kept := self._kept.get(application_id)) is not None:
                self._apps[application_id] = kept
                self._from_kept.add(application_id)
        wanted = [i for i in wanted if i not in self._apps]
        found = await find_by_ids(self.applications, wanted)
        for application_id in wanted:
            doc = found.get(application_id)
            self._apps[application_id] = _ABSENT if doc is None else opened(doc)
        with_index = set(indexed)
        keys: dict[str, bool] = {}
        for application_id, doc in self._apps.items():
            if doc is not _ABSENT:
                key = ledger_id(str(doc["applicant_uscc"]), int(doc["program_year"]))
                keys[key] = keys.get(key, False) or application_id in with_index
        await asyncio.gather(self._read_ledgers(keys), self._read_indexes(k for k, i in keys.items() if i))

    async def _read_ledgers(self, keys: Iterable[str]) -> None:
        wanted = [k for k in keys if k not in self._ledgers]
        for key in wanted:
            if (kept := self._kept_ledgers.get(key)) is not None:
                self._ledgers_read[key] = self._ledgers[key] = kept
        wanted = [k for k in wanted if k not in self._ledgers]
        found = await find_by_ids(self.ledgers, wanted)
        for key in wanted:
            uscc, year = key.rsplit(":", 1)
            doc = found.get(key)
            ledger = (
                self._store.as_ledger(doc) if doc else Ledger(applicant_uscc=uscc, program_year=int(year))
            )
            self._ledgers_read[key] = self._ledgers[key] = ledger

    async def _read_indexes(self, keys: Iterable[str]) -> None:
        wanted = [k for k in keys if k not in self._indexes]
        found = await find_by_ids(self.contract_index, wanted)
        for key in wanted:
            doc = self._indexes[key] = found.get(key, {"_id": key})
            for path, value in self._index_sets.get(key, {}).items():  # set before it was read
                _set_path(doc, path, value)

    async def application(self, application_id: str) -> Document | None:
        if application_id not in self._apps:
            await self.prefetch([application_id])
        doc = self._apps[application_id]
        return None if doc is _ABSENT else doc

    async def ledger(self, applicant_uscc: str, program_year: int) -> Ledger:
        key = ledger_id(applicant_uscc, program_year)
        if key not in self._ledgers:
            await self._read_ledgers([key])
        return self._ledgers[key]

    async def _index(self, key: str) -> Document:
        if key not in self._indexes:
            await self._read_indexes([key])
        return self._indexes[key]

    async def earlier_contracts(
        self, applicant_uscc: str, program_year: int, before: Document
    ) -> set[tuple[str, str]]:
        return self._store.contracts_before(
            await self._index(ledger_id(applicant_uscc, program_year)), before
        )

    # --- writes, kept until `flush` -----------------------------------------------------

    async def remember(self, application_id: str, fields: Document) -> bool:
        """True unless this batch knows it stored before; one that was is found by the insert
        at `flush`, which then fails the batch (a delivery seen before: rare)."""
        if self._apps.get(application_id, _ABSENT) is not _ABSENT:
            return False
        self._apps[application_id] = {"_id": application_id, **copy.deepcopy(fields)}
        self._new_apps.append(application_id)
        return True

    async def record(self, application_id: str, stage: str, outbox: list[Document]) -> None:
        if stage == COI_STAGE:
            self._set_app(application_id, {f"emitted.{stage}": outbox})
            return
        doc = emitted_document(application_id, stage, outbox)  # sealed: a copy as of now
        self._emitted.setdefault(doc["_id"], doc)  # of two writes of one stage's events the first stays

    async def outbox(self, application: Document, stage: str) -> list[Document] | None:
        """As the store has it, without a read for a rule book that has not run: its entry in
        the applicant's contract index (read with the batch) is written before its events."""
        if (kept := self._emitted.get(emitted_id(str(application["_id"]), stage))) is not None:
            return emitted_outbox(kept)
        unassessed = (
            stage == RULES_STAGE
            and emitted_inside(application, stage) is None
            and not await self._assessed(application)
        )
        if unassessed:
            return None
        found = await super().outbox(application, stage)
        if found is None and application["_id"] in self._from_kept:
            # Assessed, and its events not apart: kept inside the application by an earlier
            # version of this service (during a rolling update), which the kept copy lacks.
            stored = await self._store.application(str(application["_id"]))
            found = None if stored is None else await super().outbox(stored, stage)
        return found

    async def _assessed(self, application: Document) -> bool:
        key = ledger_id(str(application["applicant_uscc"]), int(application["program_year"]))
        return str(application["_id"]) in (await self._index(key)).get("assessed", {})

    async def mark_assessed(
        self, application_id: str, applicant_uscc: str, program_year: int, contracts: list[str]
    ) -> None:
        await self._set_index(
            ledger_id(applicant_uscc, program_year), {f"assessed.{application_id}": contracts}
        )

    async def mark_finally_rejected(
        self, application_id: str, applicant_uscc: str, program_year: int
    ) -> None:
        await self._set_index(ledger_id(applicant_uscc, program_year), {f"rejected.{application_id}": True})
        self._set_app(application_id, {"finally_rejected": True})

    async def save_ledger(self, before: Ledger, after: Ledger) -> None:
        if after is before:
            return
        key = ledger_id(after.applicant_uscc, after.program_year)
        if self._ledgers.get(key) is not before:
            raise ConcurrentUpdate(key)
        self._ledgers[key] = after

    def _set_app(self, application_id: str, fields: Document) -> None:
        doc = self._apps.get(application_id)
        if doc is None or doc is _ABSENT:
            raise KeyError(f"application {application_id} was not read in this batch")
        for path, value in fields.items():
            _set_path(doc, path, value)
        if application_id not in self._new_apps:
            self._app_sets.setdefault(application_id, {}).update(fields)

    async def _set_index(self, key: str, fields: Document) -> None:
        """Set fields of a contract index, read or not (a later read in the batch applies them)."""
        if (doc := self._indexes.get(key)) is not None:
            for path, value in fields.items():
                _set_path(doc, path, value)
        self._index_sets.setdefault(key, {}).update(fields)

    async def flush(self) -> None:
        """Make the batch's writes, in the order the handlers make them one by one; then keep the
        applications it inserted, and forget those it changed; keep its ledgers as stored, or
        none if a write fails."""
        self._kept.drop([*self._new_apps, *self._app_sets])
        new_apps = [application_document(i, self._apps[i]) for i in self._new_apps]
        try:
            await bulk(self.applications, [InsertOne(doc) for doc in new_apps])
            await self._store.save_ledgers([(self._ledgers_read[k], a) for k, a in self._ledgers.items()])
        except BaseException:
            self._kept_ledgers.clear()
            raise
        for key, after in self._ledgers.items():
            before = self._ledgers_read[key]
            self._kept_ledgers.keep(key, before if after is before else ledger_as_stored(before, after))
        await bulk(
            self.contract_index,
            [UpdateOne({"_id": k}, {"$set": s}, upsert=True) for k, s in self._index_sets.items()],
        )
        await bulk(self.applications, [UpdateOne({"_id": i}, {"$set": s}) for i, s in self._app_sets.items()])
        await insert_new(self.emitted, list(self._emitted.values()))
        for application_id in self._new_apps:
            self._kept.keep(application_id, self._apps[application_id])


def _set_path(doc: Document, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for name in parents:
        doc = doc.setdefault(name, {})
    doc[last] = copy.deepcopy(value)
