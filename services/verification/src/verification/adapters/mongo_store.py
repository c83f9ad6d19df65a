"""Verification's documents: one per application (with what it emitted) and consent records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.store import Document

from verification.domain.model import ConsentRecord

DATABASE = "vouchers_verification"


class VerificationStore:
    def __init__(self, client: AsyncMongoClient[Document]) -> None:
        db = client[DATABASE]
        self.cases = db["cases"]
        self.consents = db["consent_records"]

    async def ensure_indexes(self) -> None:
        await self.cases.create_index([("pending", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.consents.create_index([("applicant_uscc", ASCENDING)])
        await self.consents.create_index([("application_id", ASCENDING)])

    async def case(self, application_id: str) -> Document | None:
        return await self.cases.find_one({"_id": application_id})

    async def save_case(self, application_id: str, fields: Document) -> None:
        await self.cases.update_one({"_id": application_id}, {"$set": fields}, upsert=True)

    async def due(self, now: datetime, limit: int = 50) -> list[Document]:
        cursor = self.cases.find({"pending": True, "next_attempt_at": {"$lte": now}}).limit(limit)
        return [doc async for doc in cursor]

    async def record(self, record: ConsentRecord) -> bool:
        """Insert once per (application, document); a redelivery keeps the first record."""
        doc = {"_id": f"{record.application_id}:{record.document_sha256}",
               **record.model_dump(mode="python")}
        try:
            await self.consents.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def list(self, *, applicant_uscc: str | None = None, application_id: str | None = None,
                   limit: int = 100) -> Sequence[ConsentRecord]:
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
