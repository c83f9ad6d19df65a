"""Notification's documents: cases (with outbox and queued letters), letters, notices, objections.

An objection is a document of its own (reason, contact, when, how resolved); its case keeps
only the ids of the open ones, so objections never grow the case's document beyond that.

A letter is queued inside its case's document, in the same write as the decision it announces,
then handed over to the `letters` collection under an id derived from that decision. From then
on only the sender writes the letter's document, so delivery state never races with the case.

A verdict's findings that passed are most of a case's size and are read only to be shown (the
console's case page): the case keeps those that did not pass, which its decisions rest on, and
all of them are written once, with the verdict, to `verdict_findings` under the verdict's event
id, rather than with every later write of the case (`load_shown` puts them back).

Beside the cases, `case_index` holds a small entry for every case that is open or has events
or letters still to pass on: what the periodic sweep needs to choose what to do, read without
reading the cases themselves (FerretDB answers any query but one by `_id` by reading the whole
collection). An entry is written before its case and removed only after its case is final and
idle (an idle entry is not written: the one before it is removed), so every case the sweep
must see has one; an entry that says more than its case is a hint the sweep checks against the
case and repairs.

The case consumer keeps the cases it wrote (`KeptCases`); every other write of a case is noted
in `case_writes` first (`CaseWrites`), where the consumer learns whether a kept case still is as
stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, DeleteOne, UpdateOne
from pymongo.errors import DuplicateKeyError
from vouchers_shared.errors import TransientError
from vouchers_shared.findings import Finding
from vouchers_shared.guarded import replace_if, update_all_if, update_if
from vouchers_shared.markers import due_targets
from vouchers_shared.store import (
    Document,
    bulk,
    ensure_index,
    find_by_ids,
    insert_new,
    insert_or_taken,
    opened,
    packed,
    sealed,
)

from notification.adapters.case_writes import CaseWrites
from notification.adapters.kept_cases import KeptCases
from notification.domain.case import FINAL_STATUSES, Case
from notification.domain.letters import Attempt, RoundEnd
from notification.domain.verdicts import Verdict

DATABASE = "vouchers_notification"
# A case document's fields that are only read whole, kept as one value (`written_form`).
SEALED_CASE_FIELDS = ("case", "info", "outbox", "letters")
# A letter marker this long past due without its letter belongs to a hand-over cut short.
ORPHANED_MARKER = timedelta(hours=1)


class StoredCase:
    """A case with what travels beside it: applicant details, events and letters to hand over."""

    def __init__(
        self,
        case: Case,
        info: Document,
        outbox: list[Document],
        letters: list[Document],
        revision: int,
        entry: Document | None = None,
        findings_kept: frozenset[str] = frozenset(),
    ) -> None:
        self.case, self.info, self.outbox, self.letters, self.revision = (
            case,
            info,
            outbox,
            letters,
            revision,
        )
        self.entry = entry  # the index entry as last written for this revision
        self.findings_kept = findings_kept  # the verdicts (event ids) whose findings are stored


@dataclass(frozen=True)
class CaseEntry:
    """What the sweep reads about a case, from `case_index`."""

    application_id: str
    status: str
    opened_at: datetime
    notice_starts_on: date | None
    notice_ends_on: date | None
    pending: bool  # events or letters still to pass on

    @property
    def idle(self) -> bool:
        return self.status in FINAL_STATUSES and not self.pending


class NotificationStore:
    def __init__(
        self, client: AsyncMongoClient[Document], database: str = DATABASE, kept: KeptCases | None = None
    ) -> None:
        db = client[database]
        self.writes = CaseWrites(db["case_writes"], kept or KeptCases(size=0))
        self.cases, self.notices, self.objections = db["cases"], db["notices"], db["objections"]
        self.letters = db["letters"]
        self.index = db["case_index"]
        self.letters_due = db["letters_due"]  # a marker per letter not yet sent, by letter id
        self.letter_leases = db["letter_leases"]  # a sending round's lease: unique per time slot
        self.findings = db["verdict_findings"]  # every finding of a verdict, by its event id

    async def ensure_indexes(self) -> None:
        await ensure_index(self.cases, [("status", ASCENDING)])
        await ensure_index(self.objections, [("application_id", ASCENDING)])
        await ensure_index(self.letters_due, [("next_attempt_at", ASCENDING)])
        await ensure_index(self.letters, [("application_id", ASCENDING)])

    async def load(self, application_id: str) -> StoredCase | None:
        doc = await self.cases.find_one({"_id": application_id})
        return None if doc is None else _stored(doc)

    async def load_shown(self, application_id: str) -> StoredCase | None:
        """The case with every finding of its verdicts, passed ones too, as it is shown."""
        stored = await self.load(application_id)
        if stored is None:
            return None
        verdicts = stored.case.verdicts
        found = await find_by_ids(self.findings, [_findings_id(stored.case, v) for v in verdicts.values()])
        shown = {
            check: verdict.model_copy(
                update={"findings": tuple(map(Finding.model_validate, opened(doc)["findings"]))}
            )
            if (doc := found.get(_findings_id(stored.case, verdict))) is not None
            else verdict
            for check, verdict in verdicts.items()
        }
        stored.case = stored.case.model_copy(update={"verdicts": shown})
        return stored

    async def keep_findings(self, cases: Sequence[StoredCase]) -> None:
        """Write the findings of every verdict recorded since the case was read, before the case.
        A verdict's findings never change under its event id: one stored before stays as it is."""
        await insert_new(
            self.findings,
            [
                sealed(
                    {
                        "_id": _findings_id(stored.case, verdict),
                        "application_id": stored.case.application_id,
                        "check": verdict.check,
                        "findings": [f.model_dump(mode="json") for f in verdict.findings],
                    },
                    "findings",
                )
                for stored in cases
                for verdict in stored.case.verdicts.values()
                if verdict.event_id not in stored.findings_kept
            ],
        )

    @staticmethod
    def written(stored: StoredCase) -> None:
        """The case was written at its next revision: its verdicts' findings are stored."""
        stored.revision += 1
        stored.findings_kept = frozenset(v.event_id for v in stored.case.verdicts.values())

    @staticmethod
    def written_form(stored: StoredCase) -> tuple[Document, Document]:
        """The case's document as its next write stores it (at the next revision), and its index
        entry then. The document has its verdicts with the findings that did not pass, the rest
        being in `verdict_findings`. What is only read whole (the case, the applicant's details,
        events and letters to hand over) is sealed; what a query or a conditional write names
        stays a field of its own. The entry is taken before sealing, not opened again."""
        case = stored.case.model_dump(mode="json")
        for verdict in case["verdicts"].values():
            verdict["findings"] = [f for f in verdict["findings"] if f["result"] != "pass"]
        doc = {
            "_id": stored.case.application_id,
            "case": case,
            "findings_apart": True,
            "status": stored.case.status,
            "info": stored.info,
            "outbox": stored.outbox,
            "has_outbox": bool(stored.outbox),
            "letters": stored.letters,
            "letters_pending": any(not x.get("handed_over") for x in stored.letters),
            "revision": stored.revision + 1,
        }
        return sealed(doc, *SEALED_CASE_FIELDS), _entry(doc)

    @staticmethod
    def stored_of(doc: Document) -> StoredCase:
        return _stored(doc)

    @staticmethod
    def entry_document(doc: Document) -> Document:
        """The index entry of a case document."""
        return _entry(doc)

    @staticmethod
    def is_idle(entry: Document) -> bool:
        return _as_entry(entry).idle

    async def save(self, stored: StoredCase) -> None:
        """Write only if nobody wrote since we read (revision), else retry the message. The
        write is noted first, for the case consumers that keep cases (see `KeptCases`), and the
        case as written is kept as a batch's are (a record handled on its own, then its filing
        in a batch, must not find it stored)."""
        application_id, generation = stored.case.application_id, self.writes.kept.generation
        async with self.writes.noted(application_id, stored.revision + 1):
            written = packed(await self._save(stored))
        self.writes.kept.keep({application_id: written}, generation)

    async def _save(self, stored: StoredCase) -> Document:
        doc, entry = self.written_form(stored)
        moved, idle = entry != stored.entry, _as_entry(entry).idle
        if moved and not idle:  # an idle one is not written: the one before goes after the case
            await self._put_entry(entry)
        await self.keep_findings([stored])
        if stored.revision == 0:
            try:
                await self.cases.insert_one(doc)
            except DuplicateKeyError as exc:
                raise TransientError(f"case {doc['_id']} was created concurrently") from exc
        else:
            if not await replace_if(self.cases, doc["_id"], {"revision": stored.revision}, doc):
                if (current := await self.cases.find_one({"_id": doc["_id"]})) is not None:
                    await self._put_entry(_entry(current))
                raise TransientError(f"case {doc['_id']} changed concurrently")
        self.written(stored)
        if moved and idle:
            await self.forget(stored.case.application_id)
        stored.entry = entry
        return doc

    async def with_status(self, *statuses: str) -> list[StoredCase]:
        """Every case in `statuses` (reads the whole collection on FerretDB: for operators)."""
        return [_stored(d) async for d in self.cases.find({"status": {"$in": list(statuses)}})]

    async def entries(self) -> list[CaseEntry]:
        """Every case that is open or has something to pass on, as the index has it."""
        return [_as_entry(d) async for d in self.index.find({})]

    @staticmethod
    def entry_of(stored: StoredCase) -> CaseEntry | None:
        return None if stored.entry is None else _as_entry(stored.entry)

    async def reindex(self, stored: StoredCase) -> None:
        """Write the case's entry as the case has it (an entry the sweep found out of date)."""
        if stored.entry is not None:
            await self._put_entry(stored.entry)

    async def _put_entry(self, entry: Document) -> None:
        await self.index.replace_one({"_id": entry["_id"]}, entry, upsert=True)

    async def forget(self, application_id: str) -> None:
        """Drop a final, idle case from the index."""
        await self.index.delete_one({"_id": application_id})

    # --- letters ----------------------------------------------------------------------

    async def hand_over_letters(self, letters: list[Document]) -> None:
        """Store letters for sending; a letter handed over before is left as it is. Every
        marker in `letters_due` goes first, so no unsent letter is ever without one."""
        await insert_new(
            self.letters_due, [{"_id": x["_id"], "next_attempt_at": x["next_attempt_at"]} for x in letters]
        )
        await insert_new(self.letters, letters)

    async def due_letters(self, now: datetime, limit: int = 50) -> list[Document]:
        """Unsent letters due by `now`, found through their markers. A marker whose letter was
        sent is dropped on the way; so is one whose letter never came (a hand-over cut short,
        which the case's next flush repeats), but only long after: a letter may be on its way
        into the store right now, just behind its marker."""
        return await due_targets(
            self.letters_due,
            self.letters,
            due_field="next_attempt_at",
            now=now,
            limit=limit,
            waiting=lambda letter: not letter.get("sent"),
            orphaned_after=ORPHANED_MARKER,
        )

    async def claim_letters(
        self, letter_ids: Sequence[str], token: str, now: datetime, until: datetime
    ) -> list[Document]:
        """Take the letters for one sending round, each unless another sender holds its lease;
        returns those taken, as read once taken, with their claim.

        A letter's lease is two consecutive time slots of the lease's length, each taken by
        inserting a document with a unique id: an insert either wins or fails with a duplicate
        key, on every store, whatever the number of senders racing. A sender whose round began
        in slot e holds e and e + 1, so it keeps the letter at least one whole lease; the next
        sender can take it from slot e + 2 on. All the round's slots go in one bulk insert; a
        slot won for a letter whose other slot was refused is given back, as are the slots of a
        letter found sent or rescheduled once read (another sender's round finished meanwhile).
        """
        slot_s = max((until - now).total_seconds(), 1.0)
        slot = int(now.timestamp() // slot_s)
        slots = {i: [f"{i}#{n}" for n in (slot, slot + 1)] for i in dict.fromkeys(letter_ids)}
        leases = [{"_id": lease, "token": token, "at": now} for ids in slots.values() for lease in ids]
        refused = {d["_id"] for d in await insert_or_taken(self.letter_leases, leases)}
        won = [i for i, ids in slots.items() if not refused.intersection(ids)]
        current = await find_by_ids(self.letters, won)
        ready = {
            i: doc
            for i in won
            if (doc := current.get(i)) is not None
            and not doc.get("sent")
            and doc.get("next_attempt_at", now) <= now
        }
        back = [lease for i, ids in slots.items() if i not in ready for lease in ids if lease not in refused]
        await bulk(self.letter_leases, [DeleteOne({"_id": lease}) for lease in back])  # by id
        claim = {"token": token, "until": until, "slots": [slot, slot + 1]}
        await bulk(self.letters, [UpdateOne({"_id": i}, {"$set": {"claim": claim}}) for i in ready])
        return [{**doc, "claim": claim} for doc in ready.values()]

    async def record_attempt(self, letter_id: str, token: str, attempt: Attempt) -> None:
        """Log one send with its outcome; a channel that delivered is never tried again."""
        update = _attempt_logged(attempt)
        await update_if(self.letters, letter_id, {"claim.token": token}, _held_by(token), update)

    async def release_letters(self, token: str, slots: Sequence[int], ends: Sequence[RoundEnd]) -> None:
        """End the sending round `token` (whose leases are in `slots`, as its claim says) of
        each letter in `ends`: set its fields (sent, or its next attempt), log its last attempt
        and give its lease up; each kind of write in bulk. A letter another round holds by now
        is left as it is; the slots are this round's alone (the next round takes later ones)."""
        if not ends:
            return
        updates = {e.letter_id: _round_ended(e) for e in ends}
        await update_all_if(self.letters, updates, {"claim.token": token}, _held_by(token))
        leases = [DeleteOne({"_id": f"{e.letter_id}#{n}"}) for e in ends for n in slots]
        await bulk(self.letter_leases, leases)  # by id: the local store indexes no `$in`
        await bulk(self.letters_due, [DeleteOne({"_id": e.letter_id}) for e in ends if e.sent])
        next_at = {e.letter_id: e.fields["next_attempt_at"] for e in ends if "next_attempt_at" in e.fields}
        await bulk(
            self.letters_due,
            [UpdateOne({"_id": i}, {"$set": {"next_attempt_at": at}}) for i, at in next_at.items()],
        )

    async def letters_of(self, application_id: str) -> list[Document]:
        return [d async for d in self.letters.find({"application_id": application_id})]

    # --- notices and objections --------------------------------------------------------

    async def save_notice(self, notice: Document) -> None:
        await self.notices.replace_one({"_id": notice["_id"]}, notice, upsert=True)

    async def notice(self, notice_id: str) -> Document | None:
        return await self.notices.find_one({"_id": notice_id})

    async def all_notices(self) -> list[Document]:
        return [d async for d in self.notices.find({}).sort("starts_on", ASCENDING)]

    async def withdraw_from_notice(self, notice_id: str, application_id: str) -> None:
        """The notice no longer lists the application (rejected on an upheld objection)."""
        await self.notices.update_one({"_id": notice_id}, {"$addToSet": {"withdrawn": application_id}})

    async def add_objection(self, objection: Document) -> bool:
        """Store a new objection; False (nothing written) when one with its id is there already."""
        try:
            await self.objections.insert_one(objection)
        except DuplicateKeyError:
            return False
        return True

    async def drop_objection(self, objection_id: str) -> None:
        """Remove an objection the case refused after it was stored."""
        await self.objections.delete_one({"_id": objection_id})

    async def resolve_objection(self, objection_id: str, resolution: Document) -> None:
        await self.objections.update_one({"_id": objection_id}, {"$set": {"resolved": resolution}})

    async def objection(self, objection_id: str) -> Document | None:
        return await self.objections.find_one({"_id": objection_id})

    async def objections_of(self, application_id: str) -> list[Document]:
        """Every objection to an application, open or resolved (for operators)."""
        return [d async for d in self.objections.find({"application_id": application_id})]

    async def note_opened_by(self, notice_id: str, by: str) -> None:
        """Who opened a notice batch (the batch's own record says when, not who)."""
        await self.notices.update_one({"_id": notice_id}, {"$set": {"opened_by": by}})

    async def note_recorded_by(self, objection_id: str, by: str) -> None:
        """Who recorded an objection on a caller's behalf (the caller is its contact)."""
        await self.objections.update_one({"_id": objection_id}, {"$set": {"recorded_by": by}})


def _attempt_logged(attempt: Attempt) -> Document:
    """The update that logs one send; a channel that delivered is recorded as done."""
    update: Document = {"$push": {"attempts": attempt.entry}}
    if attempt.delivered_via is not None:
        update["$addToSet"] = {"channels_done": attempt.delivered_via}
    return update


def _round_ended(end: RoundEnd) -> Document:
    """The update that ends a letter's round: its fields set, its last attempt logged, its
    claim given up."""
    update: Document = {"$set": {**end.fields, "claim": None}}
    if end.last is not None:
        update |= _attempt_logged(end.last)
    return update


def _held_by(token: str) -> Callable[[Document], bool]:
    return lambda doc: (doc.get("claim") or {}).get("token") == token


def _stored(doc: dict[str, Any]) -> StoredCase:
    """The stored case. One written before its findings were kept apart carries them all, and
    they are written apart with its next write."""
    doc = opened(doc)
    case = Case.model_validate(doc["case"])
    kept = frozenset(v.event_id for v in case.verdicts.values()) if doc.get("findings_apart") else frozenset()
    return StoredCase(
        case,
        doc.get("info", {}),
        doc.get("outbox", []),
        doc.get("letters", []),
        int(doc.get("revision", 0)),
        _entry(doc),
        kept,
    )


def _findings_id(case: Case, verdict: Verdict) -> str:
    return f"{case.application_id}/{verdict.check}/{verdict.event_id}"


def _entry(doc: dict[str, Any]) -> Document:
    """The index entry of a case document (dates as ISO text, as in the case itself)."""
    doc = opened(doc)
    case = doc["case"]
    return {
        "_id": doc["_id"],
        "status": doc["status"],
        "opened_at": case["opened_at"],
        "notice_starts_on": case.get("notice_starts_on"),
        "notice_ends_on": case.get("notice_ends_on"),
        "pending": bool(doc.get("has_outbox") or doc.get("letters_pending")),
    }


def _as_entry(doc: Document) -> CaseEntry:
    def day(value: Any) -> date | None:
        return None if value is None else date.fromisoformat(str(value))

    return CaseEntry(
        application_id=str(doc["_id"]),
        status=str(doc["status"]),
        opened_at=datetime.fromisoformat(str(doc["opened_at"])),
        notice_starts_on=day(doc.get("notice_starts_on")),
        notice_ends_on=day(doc.get("notice_ends_on")),
        pending=bool(doc.get("pending")),
    )
