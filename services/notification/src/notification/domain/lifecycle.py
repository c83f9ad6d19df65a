"""The case's status machine after its first decision: one function per step.

    needs_review     --pass_review-->        needs_review       (voucher to be reserved)
    needs_review     --(reserved)-->         awaiting_notice    (case.decide, on eligibility's answer)
    needs_review     --reject_on_review-->   rejected
    awaiting_notice  --open_notice-->        in_public_notice
    in_public_notice --raise_objection-->    objection_raised   (while the notice runs)
    objection_raised --raise_objection-->    objection_raised   (another objection)
    objection_raised --dismiss_objections--> in_public_notice   (once none is left open)
    objection_raised --uphold_objection-->   rejected
    in_public_notice --approve-->            approved           (after the notice has ended)

Every other step is refused with `IllegalTransitionError`; `rejected` and `approved` are final.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from vouchers_shared.findings import Finding

from notification.domain.case import (
    Case,
    Decision,
    ReviewPass,
    StatusChange,
    make_decision_id,
    unique,
)
from notification.domain.verdicts import CHECK_LABELS, CHECKS
from notification.errors import (
    IllegalTransitionError,
    ObjectionLimitError,
    OutsideNoticePeriodError,
    ReviewSettlingError,
    UnknownObjectionError,
)


def _require(case: Case, action: str, *allowed: str) -> None:
    if case.status not in allowed:
        raise IllegalTransitionError(case.application_id, case.status, action, allowed)


def _held_findings(case: Case) -> tuple[Finding, ...]:
    verdicts = [case.verdicts[c] for c in CHECKS if c in case.verdicts]
    return unique(f for v in verdicts for f in v.findings if f.result in ("fail", "review"))


def _settle(case: Case, decision: Decision) -> tuple[Case, Decision]:
    change = StatusChange(
        at=decision.decided_at,
        status=decision.status,
        by=decision.decided_by,
        note=decision.note,
        decision_id=decision.decision_id,
        reasons=decision.reasons,
    )
    return case.moved_to(change, decision_id=decision.decision_id), decision


def pass_review(case: Case, *, by: str, note: str | None, at: datetime) -> tuple[Case, ReviewPass]:
    """An operator clears a case held for review. It goes on to the notice once eligibility has
    reserved its voucher against the yearly room left now (三(一)2), so no review can take an
    applicant past its cap; refused while a check has failed or no voucher is computed yet."""
    _require(case, "pass review", "needs_review")
    if case.review_pass is not None:
        raise ReviewSettlingError(
            case.application_id, "its review was passed already; the voucher is being reserved"
        )
    failing = [CHECK_LABELS[c] for c in CHECKS if c in case.verdicts and case.verdicts[c].failed]
    if failing:
        raise ReviewSettlingError(
            case.application_id, f"a check has failed ({', '.join(failing)}): it can only be rejected"
        )
    eligibility = case.verdicts.get("eligibility")
    if eligibility is None or eligibility.pending or eligibility.voucher is None:
        raise ReviewSettlingError(case.application_id, "eligibility has not computed a voucher yet")
    review = ReviewPass(
        review_id=make_decision_id(case.application_id, "review", "pass", by, at.isoformat()),
        by=by,
        at=at,
        note=note,
    )
    change = StatusChange(
        at=at,
        status="needs_review",
        by=by,
        note=note,
        decision_id=review.review_id,
        reasons=("经人工复核通过，待按剩余年度额度核定训力券",),
    )
    return case.moved_to(change, review_pass=review), review


def reject_on_review(case: Case, *, by: str, note: str | None, at: datetime) -> tuple[Case, Decision]:
    """An operator rejects a case held for review; the findings held are the failed rules."""
    _require(case, "reject on review", "needs_review")
    reasons = ["经人工复核不予通过" + (f"：{note}" if note else "")]
    decision = Decision(
        decision_id=make_decision_id(case.application_id, "review", "reject", by, at.isoformat()),
        application_id=case.application_id,
        status="rejected",
        failed_rules=_held_findings(case),
        reasons=tuple(reasons),
        decided_at=at,
        decided_by=by,
        note=note,
    )
    return _settle(case, decision)


def open_notice(case: Case, *, notice_id: str, starts_on: date, ends_on: date, at: datetime) -> Case:
    """The case enters a public-notice batch running from `starts_on` to `ends_on`."""
    _require(case, "open a public notice", "awaiting_notice")
    if ends_on < starts_on:
        raise OutsideNoticePeriodError(f"notice {notice_id} ends ({ends_on}) before it starts")
    change = StatusChange(at=at, status="in_public_notice", note=f"公示批次 {notice_id}")
    return case.moved_to(change, notice_id=notice_id, notice_starts_on=starts_on, notice_ends_on=ends_on)


def raise_objection(
    case: Case, *, objection_id: str, on: date, at: datetime, most_open: int | None = None
) -> Case:
    """An objection filed during the notice holds the case; filing it twice changes nothing.

    The case keeps only the ids of its open objections (their text is stored apart), at most
    `most_open` of them: past that an objection is refused until some are resolved.
    """
    _require(case, "raise an objection", "in_public_notice", "objection_raised")
    if objection_id in case.open_objections:
        return case
    starts, ends = case.notice_starts_on, case.notice_ends_on
    if starts is None or ends is None or not starts <= on <= ends:
        raise OutsideNoticePeriodError(
            f"application {case.application_id}: objections are accepted from {starts} to {ends}, not on {on}"
        )
    if most_open is not None and len(case.open_objections) >= most_open:
        raise ObjectionLimitError(case.application_id, most_open)
    change = StatusChange(at=at, status="objection_raised", note=f"异议 {objection_id}")
    return case.moved_to(change, open_objections=(*case.open_objections, objection_id))


def _require_open(case: Case, objection_id: str, action: str) -> None:
    _require(case, action, "objection_raised")
    if objection_id not in case.open_objections:
        raise UnknownObjectionError(case.application_id, objection_id)


def dismiss_objection(case: Case, *, objection_id: str, by: str, note: str | None, at: datetime) -> Case:
    """A dismissed objection returns the case to the notice once no other objection is open."""
    return dismiss_objections(case, objection_ids=(objection_id,), by=by, note=note, at=at)


def dismiss_objections(
    case: Case, *, objection_ids: Sequence[str], by: str, note: str | None, at: datetime
) -> Case:
    """Several open objections dismissed at once: one step on the timeline naming each of them;
    the case returns to the notice once none is left open. All are open, or nothing changes."""
    ids = tuple(dict.fromkeys(objection_ids))
    if not ids:
        raise ValueError("no objection to dismiss")
    _require(case, "dismiss an objection", "objection_raised")
    if unknown := [o for o in ids if o not in case.open_objections]:
        raise UnknownObjectionError(case.application_id, ", ".join(unknown))
    still_open = tuple(o for o in case.open_objections if o not in ids)
    status = "objection_raised" if still_open else "in_public_notice"
    change = StatusChange(
        at=at, status=status, by=by, note=note, reasons=tuple(f"异议 {o} 不成立" for o in ids)
    )
    return case.moved_to(change, open_objections=still_open)


def uphold_objection(
    case: Case, *, objection_id: str, by: str, note: str | None, at: datetime
) -> tuple[Case, Decision]:
    """An upheld objection rejects the application (final)."""
    _require_open(case, objection_id, "uphold an objection")
    reason = f"公示期间收到的异议经核实成立（异议编号 {objection_id}）"
    decision = Decision(
        decision_id=make_decision_id(case.application_id, "objection", objection_id),
        application_id=case.application_id,
        status="rejected",
        reasons=(reason + (f"：{note}" if note else ""),),
        decided_at=at,
        decided_by=by,
        note=note,
    )
    settled, decision = _settle(case, decision)
    return settled.model_copy(update={"open_objections": ()}), decision


def approve(case: Case, *, on: date, at: datetime) -> Case:
    """After its notice has ended with no objection open, the case is approved on `on` (十一)."""
    _require(case, "approve", "in_public_notice")
    if case.notice_ends_on is None or on <= case.notice_ends_on:
        raise OutsideNoticePeriodError(
            f"application {case.application_id}: the notice runs until {case.notice_ends_on}; "
            f"it cannot be approved on {on}"
        )
    decision_id = make_decision_id(case.application_id, "approved", case.notice_id or "")
    change = StatusChange(at=at, status="approved", decision_id=decision_id)
    return case.moved_to(change, approved_on=on, decision_id=decision_id)
