"""Notification's documents: cases (with outbox and queued letters), letters, notices, objections.

A letter is queued inside its case's document, in the same write as the decision it announces,
then handed over to the `letters` collection under an id derived from that decision. From then
on only the sender writes the letter's document, so delivery state never races with the case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.errors import TransientError
from vouchers_shared.store import Document

from notification.domain.case import Case

DATABASE = "vouchers_notification"


class StoredCase:
    """A case with what travels beside it: applicant details, events and letters to hand over."""

    def __init__(self, case: Case, info: Document, outbox: list[Document], letters: list[Document],
                 revision: int) -> None:
        self.case, self.info, self.outbox, self.letters, self.revision = (
            case, info, outbox, letters, revision)


class NotificationStore:
    def __init__(self, client: AsyncMongoClient[Document]) -> None:
        db = client[DATABASE]
        self.cases, self.notices, self.objections = db["cases"], db["notices"], db["objections"]
        self.letters = db["letters"]

    async def ensure_indexes(self) -> None:
        await self.cases.create_index([("status", ASCENDING)])
        await self.cases.create_index([("has_outbox", ASCENDING)])
        await self.cases.create_index([("letters_pending", ASCENDING)])
        await self.objections.create_index([("application_id", ASCENDING)])
        await self.letters.create_index([("sent", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.letters.create_index([("application_id", ASCENDING)])

    async def load(self, application_id: str) -> StoredCase | None:
        doc = await self.cases.find_one({"_id": application_id})
        return None if doc is None else _stored(doc)

    async def save(self, stored: StoredCase) -> None:
        """Write only if nobody wrote since we read (revision), else retry the message."""
        doc = {"_id": stored.case.application_id, "case": stored.case.model_dump(mode="json"),
               "status": stored.case.status, "info": stored.info, "outbox": stored.outbox,
               "has_outbox": bool(stored.outbox), "letters": stored.letters,
               "letters_pending": any(not x.get("handed_over") for x in stored.letters),
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
        """Cases with a letter queued but not yet handed over to the letters collection."""
        return [_stored(d) async for d in self.cases.find({"letters_pending": True}).limit(200)]

    # --- letters ----------------------------------------------------------------------

    async def hand_over_letter(self, letter: Document) -> None:
        """Store a letter for sending; a letter handed over before is left as it is."""
        try:
            await self.letters.insert_one(letter)
        except DuplicateKeyError:
            return

    async def due_letters(self, now: datetime, limit: int = 50) -> list[Document]:
        query = {"sent": False, "next_attempt_at": {"$lte": now}}
        return [d async for d in self.letters.find(query).sort("next_attempt_at", ASCENDING).limit(limit)]

    async def claim_letter(self, letter_id: str, token: str, now: datetime, until: datetime) -> bool:
        """Take the letter for one sending round unless another sender holds an unexpired lease."""
        free = {"$or": [{"claim": None}, {"claim.until": {"$lt": now}}]}
        result = await self.letters.update_one(
            {"_id": letter_id, "sent": False, **free},
            {"$set": {"claim": {"token": token, "until": until}}})
        if result.matched_count != 1:
            return False
        # The store may not make the update above atomic: read back whose lease won.
        held = await self.letters.find_one({"_id": letter_id, "claim.token": token}, {"_id": 1})
        return held is not None

    async def record_attempt(self, letter_id: str, token: str, attempt: Document,
                             delivered_via: str | None) -> None:
        """Log one send with its outcome; a channel that delivered is never tried again."""
        update: dict[str, Any] = {"$push": {"attempts": attempt}}
        if delivered_via is not None:
            update["$addToSet"] = {"channels_done": delivered_via}
        await self.letters.update_one({"_id": letter_id, "claim.token": token}, update)

    async def release_letter(self, letter_id: str, token: str, fields: Document) -> None:
        """End the sending round: set `fields` (sent, next attempt) and give the lease up."""
        await self.letters.update_one({"_id": letter_id, "claim.token": token},
                                      {"$set": {**fields, "claim": None}})

    async def letters_of(self, application_id: str) -> list[Document]:
        return [d async for d in self.letters.find({"application_id": application_id})]

    # --- notices and objections --------------------------------------------------------

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
