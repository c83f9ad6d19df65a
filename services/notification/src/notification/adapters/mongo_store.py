"""Notification's documents: cases (with outbox and letters), notices, objections."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.errors import TransientError
from vouchers_shared.store import Document

from notification.domain.case import Case

DATABASE = "vouchers_notification"


class StoredCase:
    """A case with what travels beside it: applicant details, events and letters to send."""

    def __init__(self, case: Case, info: Document, outbox: list[Document], letters: list[Document],
                 revision: int) -> None:
        self.case, self.info, self.outbox, self.letters, self.revision = (
            case, info, outbox, letters, revision)


class NotificationStore:
    def __init__(self, client: AsyncMongoClient[Document]) -> None:
        db = client[DATABASE]
        self.cases, self.notices, self.objections = db["cases"], db["notices"], db["objections"]

    async def ensure_indexes(self) -> None:
        await self.cases.create_index([("status", ASCENDING)])
        await self.cases.create_index([("has_outbox", ASCENDING)])
        await self.cases.create_index([("letters_pending", ASCENDING)])
        await self.objections.create_index([("application_id", ASCENDING)])

    async def load(self, application_id: str) -> StoredCase | None:
        doc = await self.cases.find_one({"_id": application_id})
        return None if doc is None else _stored(doc)

    async def save(self, stored: StoredCase) -> None:
        """Write only if nobody wrote since we read (revision), else retry the message."""
        doc = {"_id": stored.case.application_id, "case": stored.case.model_dump(mode="json"),
               "status": stored.case.status, "info": stored.info, "outbox": stored.outbox,
               "has_outbox": bool(stored.outbox), "letters": stored.letters,
               "letters_pending": any(not x.get("sent") for x in stored.letters),
               "revision": stored.revision + 1}
        if stored.revision == 0:
            try:
                await self.cases.insert_one(doc)
            except DuplicateKeyError as exc:
                raise TransientError(f"case {doc['_id']} was created concurrently") from exc
        else:
            result = await self.cases.replace_one({"_id": doc["_id"], "revision": stored.revision}, doc)
            if result.matched_count != 1:
                raise TransientError(f"case {doc['_id']} changed concurrently")
        stored.revision += 1

    async def with_status(self, *statuses: str) -> list[StoredCase]:
        return [_stored(d) async for d in self.cases.find({"status": {"$in": list(statuses)}})]

    async def with_outbox(self) -> list[StoredCase]:
        return [_stored(d) async for d in self.cases.find({"has_outbox": True}).limit(200)]

    async def with_letters_pending(self) -> list[StoredCase]:
        return [_stored(d) async for d in self.cases.find({"letters_pending": True}).limit(100)]

    async def save_notice(self, notice: Document) -> None:
        await self.notices.replace_one({"_id": notice["_id"]}, notice, upsert=True)

    async def notice(self, notice_id: str) -> Document | None:
        return await self.notices.find_one({"_id": notice_id})

    async def all_notices(self) -> list[Document]:
        return [d async for d in self.notices.find({}).sort("starts_on", ASCENDING)]

    async def save_objection(self, objection: Document) -> None:
        await self.objections.replace_one({"_id": objection["_id"]}, objection, upsert=True)

    async def objection(self, objection_id: str) -> Document | None:
        return await self.objections.find_one({"_id": objection_id})


def _stored(doc: dict[str, Any]) -> StoredCase:
    return StoredCase(Case.model_validate(doc["case"]), doc.get("info", {}), doc.get("outbox", []),
                      doc.get("letters", []), int(doc.get("revision", 0)))
