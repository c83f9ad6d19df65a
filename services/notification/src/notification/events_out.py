"""Events notification publishes, built with deterministic ids and kept in the case's outbox."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from vouchers_shared import topics
from vouchers_shared.events import (
    NoticePublished,
    ObjectionRaised,
    ObjectionResolved,
    ReviewPassed,
    VoucherApproved,
)
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.publisher import Outgoing

from notification.adapters.mongo_store import StoredCase
from notification.domain.case import Decision, ReviewPass
from notification.domain.letters import Letter

SOURCE = "/vouchers/notification"


def _event(
    topic: str, event_type: str, event_id: str, stored: StoredCase, payload: BaseModel, at: datetime
) -> dict[str, object]:
    case = stored.case
    return Outgoing(
        topic=topic,
        key=case.applicant_uscc,
        payload=payload,
        correlation_id=case.application_id,
        envelope=Envelope.new(event_type, SOURCE, case.application_id, id_=event_id, time=at),
    ).to_document()


def queue_decision(stored: StoredCase, decision: Decision) -> None:
    stored.outbox.append(
        _event(
            topics.DECISIONS,
            topics.CASE_DECIDED,
            decision.decision_id,
            stored,
            decision.to_event(stored.case.applicant_uscc),
            decision.decided_at,
        )
    )


def queue_review_passed(stored: StoredCase, review: ReviewPass) -> None:
    """Ask eligibility to reserve the reviewed case's voucher (answered by `settles_review`)."""
    case = stored.case
    payload = ReviewPassed(
        application_id=case.application_id,
        applicant_uscc=case.applicant_uscc,
        review_id=review.review_id,
        decided_at=review.at,
        decided_by=review.by,
        note=review.note,
    )
    stored.outbox.append(
        _event(topics.DECISIONS, topics.REVIEW_PASSED, review.review_id, stored, payload, review.at)
    )


def queue_notice(stored: StoredCase, notice_id: str, starts: date, ends: date, at: datetime) -> None:
    payload = NoticePublished(
        application_id=stored.case.application_id,
        applicant_uscc=stored.case.applicant_uscc,
        notice_id=notice_id,
        starts_on=starts,
        ends_on=ends,
        published_at=at,
    )
    stored.outbox.append(
        _event(
            topics.NOTICES,
            topics.NOTICE_PUBLISHED,
            f"{notice_id}/{stored.case.application_id}",
            stored,
            payload,
            at,
        )
    )


def queue_objection(
    stored: StoredCase,
    notice_id: str,
    objection_id: str,
    at: datetime,
    upheld: bool | None = None,
    by: str = "",
) -> None:
    case = stored.case
    if upheld is None:
        raised = ObjectionRaised(
            application_id=case.application_id,
            applicant_uscc=case.applicant_uscc,
            notice_id=notice_id,
            objection_id=objection_id,
            raised_at=at,
        )
        stored.outbox.append(
            _event(topics.NOTICES, topics.OBJECTION_RAISED, f"{objection_id}/raised", stored, raised, at)
        )
        return
    resolved = ObjectionResolved(
        application_id=case.application_id,
        applicant_uscc=case.applicant_uscc,
        notice_id=notice_id,
        objection_id=objection_id,
        upheld=upheld,
        resolved_at=at,
        resolved_by=by,
    )
    stored.outbox.append(
        _event(topics.NOTICES, topics.OBJECTION_RESOLVED, f"{objection_id}/resolved", stored, resolved, at)
    )


def queue_approval(stored: StoredCase, on: date, at: datetime) -> None:
    case = stored.case
    voucher = case.voucher
    total = voucher.total_cny if voucher is not None else None
    payload = VoucherApproved(
        application_id=case.application_id,
        applicant_uscc=case.applicant_uscc,
        notice_id=case.notice_id or "",
        approved_on=on,
        total_cny=total if total is not None else 0,
        approved_at=at,
    )
    stored.outbox.append(
        _event(
            topics.DECISIONS,
            topics.VOUCHER_APPROVED,
            case.decision_id or f"{case.application_id}/approved",
            stored,
            payload,
            at,
        )
    )


def queue_letter(stored: StoredCase, letter: Letter) -> None:
    """Queue a letter in the case, once per decision; `flush` hands it over to the sender."""
    letter_id = f"{letter.kind}:{letter.decision_id}"
    if any(item["letter_id"] == letter_id for item in stored.letters):
        return
    stored.letters.append(
        {"letter_id": letter_id, "letter": letter.model_dump(mode="json"), "handed_over": False}
    )
