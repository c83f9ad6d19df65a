"""Intake's documents: applications with their outbox, idempotency keys, the status read model.

An application's outbox is inside its document, written in the one insert that files it. Beside
it, a small marker in `outbox_markers` (written just before, deleted once published) is what
says the outbox is still unpublished: the relay reads only pending work by id, never the
applications at large, and publishing costs one small delete, never a rewrite of the filing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from vouchers_shared.coalesced import CoalescedInserts
from vouchers_shared.guarded import guard
from vouchers_shared.store import (
    Document,
    ensure_index,
    find_by_ids,
    insert_new,
    insert_or_replace,
    insert_or_taken,
    is_ferretdb,
    opened,
    packed,
    replace_all,
    sealed,
)

from intake.domain.status import Check, StatusView

DATABASE = "vouchers_intake"
# A marker this long past due without its application belongs to a request that died between
# the two inserts; far longer than any request may take.
ABANDONED = timedelta(minutes=10)
STATUS_COUNTS = "by_status"  # the one document of `application_status_counts`
# A filing's fields that nothing queries and that are read only whole (`insert_application`).
SEALED_APPLICATION_FIELDS = ("application", "outbox")
# A view's fields that nothing queries and that are read only whole (`_view_document`).
SEALED_VIEW_FIELDS = ("people", "checks", "voucher", "lifecycle", "timeline", "notice", "applied_events")


class IntakeStore:
    def __init__(self, client: AsyncMongoClient[Document], database: str = DATABASE) -> None:
        db = client[database]
        self.applications = db["applications"]
        self.idempotency = db["idempotency_keys"]
        self.status = db["application_status"]
        self.findings = db["check_findings"]
        self.relay_claims = db["outbox_relay_claims"]
        self.outbox_markers = db["outbox_markers"]
        self.counters = db["application_status_counts"]
        # A request's inserts, sent together with those of the requests filed at the same moment.
        self._new_keys = CoalescedInserts(self.idempotency)
        self._new_markers = CoalescedInserts(self.outbox_markers)
        self._new_applications = CoalescedInserts(self.applications)

    async def ensure_indexes(self) -> None:
        await ensure_index(self.outbox_markers, [("due_at", ASCENDING)])
        await ensure_index(self.applications, [("applicant_uscc", ASCENDING)])
        await ensure_index(self.status, [("applicant_uscc", ASCENDING), ("status", ASCENDING)])
        await ensure_index(self.status, [("status", ASCENDING)])

    async def claim_key(self, scope_key: str, body_hash: str, application_id: str) -> Document:
        """Record an idempotency key; returns the record that holds the key (ours or earlier)."""
        record = {"_id": scope_key, "body_hash": body_hash, "application_id": application_id}
        try:
            await self._new_keys.insert(record)
        except DuplicateKeyError:
            existing = await self.idempotency.find_one({"_id": scope_key})
            if existing is None:  # pragma: no cover - the key was just seen as duplicate
                raise
            return existing
        return record

    async def key_record(self, scope_key: str) -> Document | None:
        return await self.idempotency.find_one({"_id": scope_key})

    async def insert_application(self, document: Document) -> bool:
        """Insert once; an application id seen before (a retried request) inserts nothing. The
        filing and its outbox, read only whole, are stored sealed (`application` opens them).

        The outbox marker goes first: a crash between the two leaves a marker without its
        application, which the relay drops once it is long overdue, never an application whose
        outbox nobody would relay.
        """
        if document.get("outbox"):
            with contextlib.suppress(DuplicateKeyError):
                await self._new_markers.insert(
                    {"_id": document["_id"], "due_at": document.get("outbox_due_at") or datetime.now(UTC)}
                )
        try:
            await self._new_applications.insert(sealed(document, *SEALED_APPLICATION_FIELDS))
        except DuplicateKeyError:
            return False
        return True

    async def application(self, application_id: str) -> Document | None:
        doc = await self.applications.find_one({"_id": application_id})
        return None if doc is None else opened(doc)

    async def mark_published(self, application_id: str) -> None:
        """The application's outbox is published: its marker goes."""
        await self.outbox_markers.delete_one({"_id": application_id})

    async def mark_all_published(self, application_ids: Sequence[str]) -> None:
        """These applications' outboxes are published: their markers go, in one delete (the
        markers are the filings not yet published: few, even on a store that scans for `$in`)."""
        await self.outbox_markers.delete_many({"_id": {"$in": list(application_ids)}})

    async def due_outboxes(self, now: datetime, limit: int = 100) -> list[str]:
        """Applications whose outbox is still unpublished at its due time (wall-clock)."""
        cursor = (
            self.outbox_markers.find({"due_at": {"$lte": now}}, {"_id": 1})
            .sort("due_at", ASCENDING)
            .limit(limit)
        )
        return [doc["_id"] async for doc in cursor]

    async def claim_outbox(
        self, application_id: str, now: datetime, lease_until: datetime
    ) -> Document | None:
        """The application, if this relay alone may publish its outbox until `lease_until`.

        The claim is a document under the application's id: a unique insert is the one write
        every MongoDB-protocol store does atomically (FerretDB's conditional updates are not).
        Read after the claim, the marker tells whether another relay published it meanwhile.
        """
        if not await self._take_claim(application_id, now, lease_until):
            return None
        marker = await self.outbox_markers.find_one({"_id": application_id})
        doc = None if marker is None else await self.application(application_id)
        if doc is None:
            if marker is not None and marker["due_at"] < now - ABANDONED:
                # Never filed (the request died between the marker and the application).
                await self.outbox_markers.delete_one({"_id": application_id})
            await self.release_claim(application_id)
            return None  # published meanwhile, or filed so lately that it is still on its way
        return doc

    async def _take_claim(self, application_id: str, now: datetime, until: datetime) -> bool:
        try:
            await self.relay_claims.insert_one({"_id": application_id, "until": until})
            return True
        except DuplicateKeyError:
            held = await self.relay_claims.find_one({"_id": application_id})
        if held is None or held["until"] > now:
            return False  # another relay holds it (or just let it go: next round)
        # The relay that held it stopped before its lease ran out: take it over.
        gone = await self.relay_claims.delete_one({"_id": application_id, "until": held["until"]})
        if gone.deleted_count != 1:
            return False
        try:
            await self.relay_claims.insert_one({"_id": application_id, "until": until})
        except DuplicateKeyError:
            return False
        return True

    async def release_claim(self, application_id: str) -> None:
        await self.relay_claims.delete_one({"_id": application_id})

    async def backlog(self) -> int:
        return await self.outbox_markers.count_documents({})

    async def load_view(self, application_id: str) -> StatusView | None:
        """The view with its checks' findings, as a reader is shown it."""
        doc = await self.status.find_one({"_id": application_id})
        if doc is None:
            return None
        return (await self._with_findings([view_of(doc)]))[0]

    async def load_views(self, application_ids: Sequence[str]) -> dict[str, StatusView]:
        """The views of those applications that have one, as the read model folds them: their
        checks' findings are not read (None)."""
        found = await find_by_ids(self.status, application_ids)
        return {application_id: view_of(doc) for application_id, doc in found.items()}

    async def save_view(self, view: StatusView) -> None:
        await self.save_views([view])

    async def save_views(self, views: Sequence[StatusView]) -> None:
        """Each view in bulk, without its checks' findings; the findings a view carries (those of
        a verdict it has just taken) are written first, each check's in its own document.

        A view is written on every event about its application, its findings only with their
        verdict: kept apart, they are not rewritten with every step of the timeline. A check's
        findings are mostly its first (a later verdict of the same check is rare): inserted."""
        await insert_or_replace(self.findings, _carried_findings(views))
        await replace_all(self.status, [_view_document(view) for view in views])

    async def insert_views(self, views: Sequence[StatusView]) -> list[str]:
        """Insert views expected to be new; returns the ids of those not inserted because their
        application has a view already (left as stored). The findings they carry go first, as
        with `save_views`, each only where none is stored: a view found stored after all may
        show a newer verdict's, which this batch's older one must not replace."""
        await insert_new(self.findings, _carried_findings(views))
        taken = await insert_or_taken(self.status, [_view_document(view) for view in views])
        return [doc["_id"] for doc in taken]

    async def list_views(
        self, filters: dict[str, Any], skip: int, limit: int
    ) -> tuple[int, list[StatusView]]:
        total = await self.status.count_documents(filters)
        cursor = self.status.find(filters).sort("_id", ASCENDING).skip(skip).limit(limit)
        return total, await self._with_findings([view_of(doc) async for doc in cursor])

    async def _with_findings(self, views: list[StatusView]) -> list[StatusView]:
        """The views with every check's findings read from where they are kept."""
        wanted = [
            _findings_id(view.application_id, name)
            for view in views
            for name, check in view.checks.items()
            if check.findings is None
        ]
        found = await find_by_ids(self.findings, wanted)
        return [_shown(view, found) for view in views]

    async def count_by_status(self) -> dict[str, int]:
        """Counts the whole read model: for a recount, never for the gauge's every reading."""
        pipeline = [{"$group": {"_id": "$status", "count": {"$sum": 1}}}]
        cursor = await self.status.aggregate(pipeline)
        return {str(row["_id"]): int(row["count"]) async for row in cursor}

    async def status_counts(self) -> dict[str, int]:
        """Applications per status as the counters document has them (read by id)."""
        doc = await self.counters.find_one({"_id": STATUS_COUNTS})
        return {} if doc is None else {str(k): int(v) for k, v in doc.get("counts", {}).items()}

    async def set_status_counts(self, counts: dict[str, int]) -> None:
        await self._write_counts({"$set": {"counts": counts}})

    async def add_status_counts(self, deltas: dict[str, int]) -> None:
        await self._write_counts({"$inc": {f"counts.{status}": n for status, n in deltas.items()}})

    async def _write_counts(self, update: Document) -> None:
        """FerretDB reads, then writes, an update: two replicas adding at once would lose one's
        numbers; under the document's guard (vouchers_shared.guarded) they take turns."""
        if not await is_ferretdb(self.counters.database.client):
            await self.counters.update_one({"_id": STATUS_COUNTS}, update, upsert=True)
            return
        async with guard(self.counters, STATUS_COUNTS):
            await self.counters.update_one({"_id": STATUS_COUNTS}, update, upsert=True)


def packed_view(view: StatusView) -> bytes:
    """The view as the store keeps it, without its checks' findings, in BSON: about a quarter of
    the memory the model takes."""
    return packed(_view_document(view))


def view_of(doc: Document) -> StatusView:
    """The view from its document as the store gives it back (a `packed_view` read back too); a
    check stored without findings has them None (kept apart). One stored before findings were
    kept apart carries them, and they move out with its next save."""
    fields = {k: v for k, v in opened(doc).items() if k not in ("_id", "status")}
    for check in fields.get("checks", {}).values():
        check.setdefault("findings", None)
    return StatusView.model_validate(fields)


def _view_document(view: StatusView) -> Document:
    """The view as stored: what a list filters on, and a few names, as fields of their own; the
    rest, read only whole, sealed."""
    doc: dict[str, Any] = view.model_dump(exclude={"checks": {"__all__": {"findings"}}})
    doc["_id"] = view.application_id
    doc["status"] = view.status
    return sealed(doc, *SEALED_VIEW_FIELDS)


def _findings_id(application_id: str, check: str) -> str:
    return f"{application_id}/{check}"


def _carried_findings(views: Sequence[StatusView]) -> list[Document]:
    """The findings documents of the verdicts `views` have just taken (those they carry)."""
    return [
        _findings_document(view.application_id, name, check)
        for view in views
        for name, check in view.checks.items()
        if check.findings is not None
    ]


def _findings_document(application_id: str, name: str, check: Check) -> Document:
    return sealed(
        {
            "_id": _findings_id(application_id, name),
            "application_id": application_id,
            "check": name,
            "at": check.at,
            "findings": check.findings,
        },
        "findings",
    )


def _shown(view: StatusView, found: dict[Any, Document]) -> StatusView:
    """The view with the findings kept for each check it shows: those of the verdict it shows,
    else none (a verdict's findings are written before the view that takes it)."""
    checks = {}
    for name, check in view.checks.items():
        if check.findings is None:
            doc = found.get(_findings_id(view.application_id, name))
            kept = list(opened(doc)["findings"]) if doc is not None and doc["at"] == check.at else []
            check = check.model_copy(update={"findings": kept})
        checks[name] = check
    return view.model_copy(update={"checks": checks})
