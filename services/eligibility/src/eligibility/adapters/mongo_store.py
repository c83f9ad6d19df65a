"""Eligibility's documents: applications as it saw them, the verdicts it emitted, and ledgers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.guarded import replace_if
from vouchers_shared.store import Document, ensure_index, insert_new, insert_or_taken, opened, sealed

from eligibility.domain.ledger import Ledger

DATABASE = "vouchers_eligibility"
COI_STAGE = "coi"  # what the conflict check emitted goes in the application's own first write
RULES_STAGE = "rules"


class ConcurrentUpdate(Exception):
    """The ledger changed between read and write; read it again."""


class EligibilityStore:
    def __init__(self, client: AsyncMongoClient[Document], database: str = DATABASE) -> None:
        db = client[database]
        self.applications = db["applications"]
        self.ledgers = db["ledgers"]
        self.contract_index = db["applicant_contracts"]
        self.emitted = db["emitted"]

    async def ensure_indexes(self) -> None:
        await ensure_index(self.applications, [("applicant_uscc", ASCENDING), ("program_year", ASCENDING)])

    async def remember(self, application_id: str, fields: Document) -> bool:
        """Store the application once; later deliveries keep the first copy. False if stored before."""
        try:
            await self.applications.insert_one(application_document(application_id, fields))
        except DuplicateKeyError:
            return False
        return True

    async def application(self, application_id: str) -> Document | None:
        doc = await self.applications.find_one({"_id": application_id})
        return None if doc is None else opened(doc)

    async def record(self, application_id: str, stage: str, outbox: list[Document]) -> None:
        """Keep what a stage emitted, so that a redelivery re-emits exactly the same events.

        The conflict check's verdict goes in the application document, in the write that stores
        it. Every later stage's is written once beside it, in `emitted`: setting it in the
        application rewrote the service's largest document, which the local store reads whole
        before any update. Of two writes of one stage's events the first stays."""
        if stage == COI_STAGE:
            await self.applications.update_one(
                {"_id": application_id}, {"$set": {f"emitted.{stage}": outbox}}
            )
            return
        await insert_new(self.emitted, [emitted_document(application_id, stage, outbox)])

    async def outbox(self, application: Document, stage: str) -> list[Document] | None:
        """What `stage` emitted for this application, None if it has not run: from the document
        itself for the conflict check (and for every stage of one stored before the later
        stages' events were kept apart), else from `emitted`."""
        if (inside := emitted_inside(application, stage)) is not None or stage == COI_STAGE:
            return inside
        found = await self.emitted.find_one({"_id": emitted_id(str(application["_id"]), stage)})
        return None if found is None else emitted_outbox(found)

    async def earlier_contracts(
        self, applicant_uscc: str, program_year: int, before: Document
    ) -> set[tuple[str, str]]:
        """(provider, contract number) of this applicant's live applications assessed before `before`.

        "Earlier" is the order the rule book handles one applicant's applications in (one
        partition, one at a time), not their filing instants: two applications filed at the
        same moment reach the topic in either order, and comparing instants then let both of
        them count a contract they share. Read from the applicant's index document by id, so
        the cost does not grow with the number of applications stored.
        """
        index = await self.contract_index.find_one({"_id": ledger_id(applicant_uscc, program_year)})
        return self.contracts_before(index or {}, before)

    @staticmethod
    def contracts_before(index: Document, before: Document) -> set[tuple[str, str]]:
        """The contracts an applicant's index holds for live applications other than `before`."""
        rejected = set(index.get("rejected", {}))
        seen: set[tuple[str, str]] = set()
        for application_id, contracts in index.get("assessed", {}).items():
            if application_id != before["_id"] and application_id not in rejected:
                seen.update(tuple(c.split("|", 1)) for c in contracts)
        return seen

    async def mark_assessed(
        self, application_id: str, applicant_uscc: str, program_year: int, contracts: list[str]
    ) -> None:
        """Enter the application in its applicant's index once the rule book has assessed it
        (idempotent: a redelivery sets the same entry again)."""
        await self.contract_index.update_one(
            {"_id": ledger_id(applicant_uscc, program_year)},
            {"$set": {f"assessed.{application_id}": contracts}},
            upsert=True,
        )

    async def mark_finally_rejected(
        self, application_id: str, applicant_uscc: str, program_year: int
    ) -> None:
        """A finally rejected application no longer holds its contracts."""
        await self.contract_index.update_one(
            {"_id": ledger_id(applicant_uscc, program_year)},
            {"$set": {f"rejected.{application_id}": True}},
            upsert=True,
        )
        await self.applications.update_one({"_id": application_id}, {"$set": {"finally_rejected": True}})

    async def ledger(self, applicant_uscc: str, program_year: int) -> Ledger:
        doc = await self.ledgers.find_one({"_id": ledger_id(applicant_uscc, program_year)})
        if doc is None:
            return Ledger(applicant_uscc=applicant_uscc, program_year=program_year)
        return self.as_ledger(doc)

    @staticmethod
    def as_ledger(doc: Document) -> Ledger:
        return Ledger.model_validate(_decimals(doc))

    async def save_ledger(self, before: Ledger, after: Ledger) -> None:
        """Write `after` only if the stored ledger is still at `before`'s revision.

        Every write stores a later revision (`after`'s: one more per step since `before`), so
        a stored ledger is at revision 1 or more and revision 0 means "not stored yet": the
        first write is an insert, which a concurrent first write makes fail. (A ledger stored
        at revision 0 by an older version is replaced under the same guard, so it is never
        stuck.)
        """
        await self.save_ledgers([(before, after)])

    async def save_ledgers(self, changes: Sequence[tuple[Ledger, Ledger]]) -> None:
        """`save_ledger` for each (before, after): the first writes inserted together."""
        writes = [
            (before, _ledger_document(before, after)) for before, after in changes if after is not before
        ]
        taken = {
            d["_id"] for d in await insert_or_taken(self.ledgers, [d for b, d in writes if b.revision == 0])
        }
        for before, doc in writes:
            if before.revision == 0 and doc["_id"] not in taken:
                continue
            if not await replace_if(self.ledgers, doc["_id"], {"revision": before.revision}, doc):
                raise ConcurrentUpdate(doc["_id"])


def ledger_as_stored(before: Ledger, after: Ledger) -> Ledger:
    """`after` as `save_ledger(before, after)` stores it: at its revision, one past `before`'s
    at least (several steps at once: the last)."""
    return after.model_copy(update={"revision": max(after.revision, before.revision + 1)})


def _ledger_document(before: Ledger, after: Ledger) -> Document:
    stored = ledger_as_stored(before, after)
    return {"_id": ledger_id(stored.applicant_uscc, stored.program_year), **stored.model_dump(mode="json")}


def ledger_id(applicant_uscc: str, program_year: int) -> str:
    return f"{applicant_uscc}:{program_year}"


def _decimals(doc: Document) -> dict[str, Any]:
    out = dict(doc)
    out.pop("_id", None)
    for name in ("reserved", "granted", "released"):
        out[name] = {k: Decimal(v) for k, v in out.get(name, {}).items()}
    out["prior_unredeemed_cny"] = Decimal(out.get("prior_unredeemed_cny", "0.00"))
    return out


def emitted_inside(application: Document, stage: str) -> list[Document] | None:
    """What `stage` emitted as the application document itself keeps it, if it does."""
    inside = (application.get("emitted") or {}).get(stage)
    return inside if isinstance(inside, list) else None


def application_document(application_id: str, fields: Document) -> Document:
    """An application as stored: the filing, never changed after and read only whole, sealed
    (`opened` gives it back); what the stages set later are fields of their own."""
    return sealed({"_id": application_id, **fields}, "application")


def emitted_id(application_id: str, stage: str) -> str:
    return f"{application_id}/{stage}"


def emitted_document(application_id: str, stage: str, outbox: list[Document]) -> Document:
    """What a stage emitted, as `emitted` keeps it: its events sealed (read only whole, by id)."""
    doc = {"_id": emitted_id(application_id, stage), "application_id": application_id, "outbox": outbox}
    return sealed(doc, "outbox")


def emitted_outbox(doc: Document) -> list[Document]:
    """The events of an `emitted_document` (or of one stored before they were sealed)."""
    return list(opened(doc)["outbox"])
