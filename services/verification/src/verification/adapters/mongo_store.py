"""Verification's documents: one per application (with what it emitted) and consent records.

A case waiting on the CPA platform also has a marker in `rechecks` (its id and next attempt),
written before the case and removed after it, so the periodic recheck reads only the waiting
cases, each by id, never the whole collection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.markers import due_targets
from vouchers_shared.store import Document, ensure_index, opened, sealed

from verification.domain.model import ConsentRecord

DATABASE = "vouchers_verification"
# A case's fields written once and read only whole: the filing (`case_fields`).
SEALED_CASE_FIELDS = ("application",)
# A marker this long past due without its case belongs to a handler that stopped in between.
ORPHANED = timedelta(hours=1)


class VerificationStore:
    def __init__(self, client: AsyncMongoClient[Document], database: str = DATABASE) -> None:
        db = client[database]
        self.cases = db["cases"]
        self.consents = db["consent_records"]
        self.rechecks = db["rechecks"]

    async def ensure_indexes(self) -> None:
        await ensure_index(self.rechecks, [("next_attempt_at", ASCENDING)])
        await ensure_index(self.consents, [("applicant_uscc", ASCENDING)])
        await ensure_index(self.consents, [("application_id", ASCENDING)])

    async def case(self, application_id: str) -> Document | None:
        doc = await self.cases.find_one({"_id": application_id})
        return None if doc is None else opened(doc)

    async def save_case(self, application_id: str, fields: Document, *, settled: bool = False) -> None:
        """Set `fields`; a case (still) waiting gets its marker first, a case a recheck
        `settled` loses it after."""
        if fields.get("pending") or (not settled and "next_attempt_at" in fields):
            await self.rechecks.update_one(
                {"_id": application_id}, {"$set": {"next_attempt_at": fields["next_attempt_at"]}}, upsert=True
            )
        await self.cases.update_one({"_id": application_id}, {"$set": case_fields(fields)}, upsert=True)
        if settled:
            await self.rechecks.delete_one({"_id": application_id})

    async def due(self, now: datetime, limit: int = 50) -> list[Document]:
        """Cases waiting on the platform whose next attempt is due; stale markers are dropped."""
        due = await due_targets(
            self.rechecks,
            self.cases,
            due_field="next_attempt_at",
            now=now,
            limit=limit,
            waiting=lambda case: bool(case.get("pending")),
            orphaned_after=ORPHANED,
        )
        return [opened(doc) for doc in due]

    async def record(self, record: ConsentRecord) -> bool:
        """Insert once per (application, document); a redelivery keeps the first record."""
        doc = self.consent_document(record)
        try:
            await self.consents.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    @staticmethod
    def consent_document(record: ConsentRecord) -> Document:
        """A consent record as stored: one per (application, document)."""
        return {
            "_id": f"{record.application_id}:{record.document_sha256}",
            **record.model_dump(mode="python"),
        }

    async def list(
        self, *, applicant_uscc: str | None = None, application_id: str | None = None, limit: int = 100
    ) -> Sequence[ConsentRecord]:
        filters: Document = {}
        if applicant_uscc:
            filters["applicant_uscc"] = applicant_uscc
        if application_id:
            filters["application_id"] = application_id
        cursor = self.consents.find(filters).sort("received_at", ASCENDING).limit(limit)
        out = []
        async for doc in cursor:
            doc.pop("_id")
            out.append(ConsentRecord.model_validate(doc))
        return out


def case_fields(fields: Document) -> Document:
    """Fields of a case as they are set: the filing, if among them, sealed (`opened` reads it)."""
    return sealed(fields, *SEALED_CASE_FIELDS)
