"""Feeds the status read model from every verdict, decision and notice topic."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from vouchers_shared import topics
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing

from intake.adapters.mongo_store import IntakeStore
from intake.domain.status import StatusView, apply_event
from intake.status_counts import StatusCounts

log = structlog.get_logger()
READ_MODEL_TOPICS = (
    topics.APPLICATIONS,
    topics.COI,
    topics.ELIGIBILITY,
    topics.VERIFICATION,
    topics.DECISIONS,
    topics.NOTICES,
)
KNOWN_TYPES = frozenset(
    {
        topics.APPLICATION_SUBMITTED,
        topics.COI_ASSESSED,
        topics.ELIGIBILITY_ASSESSED,
        topics.VERIFICATION_COMPLETED,
        topics.CASE_DECIDED,
        topics.REVIEW_PASSED,
        topics.VOUCHER_APPROVED,
        topics.NOTICE_PUBLISHED,
        topics.OBJECTION_RAISED,
        topics.OBJECTION_RESOLVED,
    }
)


async def project(
    inbound: Inbound, store: IntakeStore, counts: StatusCounts | None = None
) -> Sequence[Outgoing]:
    """Apply one event to its application's view; a repeated event id changes nothing. A saved
    change of status is noted in `counts`."""
    if inbound.envelope.type not in KNOWN_TYPES:
        raise PoisonMessage(f"unknown event type {inbound.envelope.type!r} on {inbound.topic}")
    body = inbound.json()
    if not isinstance(body, dict) or not isinstance(body.get("application_id"), str):
        raise PoisonMessage("event body has no application_id")
    application_id = body["application_id"]
    stored = await store.load_view(application_id)
    view = stored or StatusView(application_id=application_id)
    try:
        updated = apply_event(view, inbound.envelope.id, inbound.envelope.type, inbound.envelope.time, body)
    except (KeyError, TypeError, ValueError) as exc:
        raise PoisonMessage(f"{inbound.envelope.type} body is missing fields: {exc!r}") from exc
    if updated is not view:
        await store.save_view(updated)
        if counts is not None:
            counts.moved(None if stored is None else stored.status, updated.status)
        log.info(
            "status_projected",
            application_id=application_id,
            event_id=inbound.envelope.id,
            status=updated.status,
        )
    return ()
