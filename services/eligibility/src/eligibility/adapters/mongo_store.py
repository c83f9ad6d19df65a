"""Eligibility's documents: applications as it saw them, with the verdicts it emitted, and ledgers."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.store import Document

from eligibility.domain.ledger import Ledger

DATABASE = "vouchers_eligibility"


class ConcurrentUpdate(Exception):
    """The ledger changed between read and write; read it again."""


class EligibilityStore:
    def __init__(self, client: AsyncMongoClient[Document]) -> None:
        db = client[DATABASE]
        self.applications = db["applications"]
        self.ledgers = db["ledgers"]

    async def ensure_indexes(self) -> None:
        await self.applications.create_index([("applicant_uscc", ASCENDING),
                                              ("program_year", ASCENDING)])

    async def remember(self, application_id: str, fields: Document) -> None:
        """Store the application once; later deliveries keep the first copy."""
        with contextlib.suppress(DuplicateKeyError):
            await self.applications.insert_one({"_id": application_id, **fields})

    async def application(self, application_id: str) -> Document | None:
        return await self.applications.find_one({"_id": application_id})

    async def record(self, application_id: str, stage: str, outbox: list[Document],
                     extra: Document | None = None) -> None:
        """Keep what a stage emitted, so a redelivery re-emits exactly the same events."""
        await self.applications.update_one(
            {"_id": application_id}, {"$set": {f"emitted.{stage}": outbox, **(extra or {})}}
        )

    async def earlier_contracts(self, applicant_uscc: str, program_year: int,
                                before: Document) -> set[tuple[str, str]]:
        """(provider, contract number) of this applicant's live applications assessed before `before`.

        "Earlier" is the order the rule book handles one applicant's applications in (one
        partition, one at a time), not their filing instants: two applications filed at the
        same moment reach the topic in either order, and comparing instants then let both of
        them count a contract they share.
        """
        cursor = self.applications.find(
            {"applicant_uscc": applicant_uscc, "program_year": program_year,
             "finally_rejected": {"$ne": True}, "emitted.rules": {"$exists": True},
             "_id": {"$ne": before["_id"]}},
            {"contracts": 1},
        )
        seen: set[tuple[str, str]] = set()
        async for doc in cursor:
            seen.update(tuple(c.split("|", 1)) for c in doc.get("contracts", []))
        return seen

    async def mark_finally_rejected(self, application_id: str) -> None:
        await self.applications.update_one({"_id": application_id},
                                           {"$set": {"finally_rejected": True}})

    async def ledger(self, applicant_uscc: str, program_year: int) -> Ledger:
        doc = await self.ledgers.find_one({"_id": _ledger_id(applicant_uscc, program_year)})
        if doc is None:
            return Ledger(applicant_uscc=applicant_uscc, program_year=program_year)
        return Ledger.model_validate(_decimals(doc))

    async def save_ledger(self, before: Ledger, after: Ledger) -> None:
        """Write `after` only if the stored ledger is still at `before`'s revision."""
        if after is before:
            return
        doc = {"_id": _ledger_id(after.applicant_uscc, after.program_year),
               **after.model_dump(mode="json")}
        if before.revision == 0:
            try:
                await self.ledgers.insert_one(doc)
            except DuplicateKeyError as exc:
                raise ConcurrentUpdate(doc["_id"]) from exc
            return
        result = await self.ledgers.replace_one({"_id": doc["_id"], "revision": before.revision}, doc)
        if result.matched_count != 1:
            raise ConcurrentUpdate(doc["_id"])


def _ledger_id(applicant_uscc: str, program_year: int) -> str:
    return f"{applicant_uscc}:{program_year}"


def _decimals(doc: Document) -> dict[str, Any]:
    out = dict(doc)
    out.pop("_id", None)
    for name in ("reserved", "granted", "released"):
        out[name] = {k: Decimal(v) for k, v in out.get(name, {}).items()}
    out["prior_unredeemed_cny"] = Decimal(out.get("prior_unredeemed_cny", "0.00"))
    return out
