"""The case: one application's three verdicts joined into a decision, and its status since.

How the verdicts are read:

- Eligibility decides on the contracts. Its verdict already includes the conflict-of-interest
  findings and leaves out contracts that conflict, so a COI `conflict` on one contract of two
  does not by itself reject the case: if the other contract still carries the application,
  eligibility passes and so does the case. The COI conflict findings are still listed when
  the case is rejected for another reason. A COI `review` holds the case for an operator.
- A failure (eligibility `fail`, verification `failed`) rejects as soon as every check has
  answered (a `pending` answer counts: verification waiting for the CPA platform does not hold
  a rejection up), or once `check_timeout` has passed; nothing arriving later can make the
  application approvable, and waiting for the checks still out lets the rejection letter list
  every failed rule of every check, not only those of the first to answer.
- A `review` holds the case only once every check is in (or the wait has timed out), so that
  the operator reviews the whole case and a later failure is not missed.
- A check still missing or `pending` once `check_timeout` has passed since the case opened
  holds the case for review, the missing check named in the reasons.
- The conflict-of-interest verdict holds the case only while eligibility has not answered:
  eligibility already weighs each contract's conflict verdict, and holds the application only
  for a contract that would count. A contract left out by another rule (an unregistered
  provider, about which nothing is known) decides nothing either way.
- Once decided, the case keeps recording verdicts. A failing verdict that arrives late (after
  a timeout sent the case to review, after an operator passed it, during its public notice)
  rejects the case like one on time: nothing makes an application with a failed check
  approvable. Only an approved case stays approved; a failure then is left to operators.
- A passed review reserves the voucher first: the case stays `needs_review` until eligibility
  answers the review (`settles_review`) with the voucher reserved against the yearly room left
  at that moment, then goes on to the notice, or is rejected when no room is left.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from vouchers_shared.events import CaseDecided, CaseStatus, Voucher
from vouchers_shared.findings import Finding, failed

from notification.domain.verdicts import CHECK_LABELS, CHECKS, CheckName, Instant, Verdict
from notification.errors import IllegalTransitionError

Status = Literal[
    "checking",
    "needs_review",
    "rejected",
    "awaiting_notice",
    "in_public_notice",
    "objection_raised",
    "approved",
]
FINAL_STATUSES: Final = frozenset({"rejected", "approved"})
# Past the checks but not final: a failing verdict arriving now still rejects the case.
DECIDED_OPEN: Final = frozenset({"needs_review", "awaiting_notice", "in_public_notice", "objection_raised"})


class StatusChange(BaseModel):
    """One step on the case's timeline."""

    model_config = ConfigDict(frozen=True)

    at: Instant
    status: Status
    by: str = "system"
    note: str | None = None
    decision_id: str | None = None
    reasons: tuple[str, ...] = ()


class Decision(BaseModel):
    """What the case comes to: awaiting notice, held for review, or rejected, and why."""

    model_config = ConfigDict(frozen=True)

    decision_id: str
    application_id: str
    status: CaseStatus
    failed_rules: tuple[Finding, ...] = ()
    review_findings: tuple[Finding, ...] = ()
    reasons: tuple[str, ...] = ()
    decided_at: Instant
    decided_by: str = "system"
    note: str | None = None

    @property
    def final(self) -> bool:
        """A rejection is final: the applicant's reserved room under the cap is released."""
        return self.status == "rejected"

    def to_event(self, applicant_uscc: str) -> CaseDecided:
        """The `case.decided` payload announcing this decision."""
        return CaseDecided(
            application_id=self.application_id,
            applicant_uscc=applicant_uscc,
            status=self.status,
            final=self.final,
            failed_rules=list(self.failed_rules),
            reasons=list(self.reasons),
            decided_at=self.decided_at,
            decided_by=self.decided_by,
            note=self.note,
        )


class ReviewPass(BaseModel):
    """An operator's pass of a case held for review, waiting for its voucher to be reserved."""

    model_config = ConfigDict(frozen=True)

    review_id: str
    by: str
    at: Instant
    note: str | None = None


class Case(BaseModel):
    """One application as the notification service follows it from checks to approval."""

    model_config = ConfigDict(frozen=True)

    application_id: str
    applicant_uscc: str
    opened_at: Instant
    status: Status = "checking"
    verdicts: dict[CheckName, Verdict] = Field(default_factory=dict)
    seen_event_ids: frozenset[str] = frozenset()
    decision_id: str | None = None
    notice_id: str | None = None
    notice_starts_on: date | None = None
    notice_ends_on: date | None = None
    open_objections: tuple[str, ...] = ()
    approved_on: date | None = None
    review_pass: ReviewPass | None = None
    timeline: tuple[StatusChange, ...] = ()

    @field_serializer("seen_event_ids")
    def _seen_in_order(self, seen: frozenset[str]) -> list[str]:
        """In sorted order: a set's own order changes with the process's hash seed, and a case
        that has not changed must be stored as the same document."""
        return sorted(seen)

    @property
    def voucher(self) -> Voucher | None:
        """The voucher the current eligibility verdict computed, if any."""
        verdict = self.verdicts.get("eligibility")
        return verdict.voucher if verdict is not None else None

    def moved_to(self, change: StatusChange, **updates: object) -> Case:
        """This case in a new status, the change appended to its timeline."""
        return self.model_copy(
            update={"status": change.status, "timeline": (*self.timeline, change), **updates}
        )


def open_case(application_id: str, applicant_uscc: str, opened_at: datetime) -> Case:
    """A new case, waiting for its checks."""
    case = Case(application_id=application_id, applicant_uscc=applicant_uscc, opened_at=opened_at)
    return case.model_copy(update={"timeline": (StatusChange(at=opened_at, status="checking"),)})


def record(case: Case, verdict: Verdict) -> Case:
    """The case with `verdict` recorded; a duplicate or an older verdict changes nothing."""
    if verdict.event_id in case.seen_event_ids:
        return case
    seen = case.seen_event_ids | {verdict.event_id}
    current = case.verdicts.get(verdict.check)
    if current is not None and not verdict.supersedes(current):
        return case.model_copy(update={"seen_event_ids": seen})
    verdicts = {**case.verdicts, verdict.check: verdict}
    return case.model_copy(update={"seen_event_ids": seen, "verdicts": verdicts})


def make_decision_id(application_id: str, *basis: str) -> str:
    """A decision id that the same inputs always reproduce (so a resent letter is recognisable)."""
    digest = hashlib.sha256("\x1f".join((application_id, *basis)).encode()).hexdigest()
    return f"dec-{digest[:32]}"


def decide(case: Case, now: datetime, check_timeout: timedelta) -> Decision | None:
    """The case's decision from its verdicts, or None while it is still waiting for checks."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if case.status in DECIDED_OPEN:
        return _after_checks(case, now)
    if case.status != "checking":
        return None
    verdicts = case.verdicts
    timed_out = now - case.opened_at >= check_timeout
    if any(v.failed for v in verdicts.values()) and (timed_out or all(c in verdicts for c in CHECKS)):
        return _rejection(case, now)
    waiting = [c for c in CHECKS if c not in verdicts or verdicts[c].pending]
    if waiting and not timed_out:
        return None
    held = [v for v in verdicts.values() if v.held_for_review and not _weighed_by_eligibility(case, v)]
    if held or waiting:
        return _review(case, now, held, waiting, check_timeout)
    return _decision(case, "awaiting_notice", now, reasons=("三项审查均已通过，待社会公示",))


def _weighed_by_eligibility(case: Case, verdict: Verdict) -> bool:
    # Eligibility's verdict includes each counted contract's conflict verdict.
    eligibility = case.verdicts.get("eligibility")
    return verdict.check == "conflict_of_interest" and eligibility is not None and not eligibility.pending


def _after_checks(case: Case, now: datetime) -> Decision | None:
    """A late failing verdict rejects; a reserved review moves on to the notice."""
    if any(v.failed for v in case.verdicts.values()):
        return _rejection(case, now, late=True)
    review = case.review_pass
    settled = case.verdicts.get("eligibility")
    if (
        case.status != "needs_review"
        or review is None
        or settled is None
        or settled.settles_review != review.review_id
        or settled.outcome != "pass"
    ):
        return None
    return Decision(
        decision_id=make_decision_id(case.application_id, "awaiting_notice", review.review_id),
        application_id=case.application_id,
        status="awaiting_notice",
        reasons=("经人工复核通过，训力券额度已按剩余年度额度核定，待社会公示",),
        decided_at=now,
        decided_by=review.by,
        note=review.note,
    )


def apply_decision(case: Case, decision: Decision) -> Case:
    """The case moved to the status its decision names (a system or a settled review decision)."""
    allowed = ("checking", *sorted(DECIDED_OPEN))
    after_checks = case.status in DECIDED_OPEN and (
        decision.status == "rejected"
        or (
            case.status == "needs_review"
            and case.review_pass is not None
            and decision.status == "awaiting_notice"
        )
    )
    if (case.status != "checking" and not after_checks) or decision.application_id != case.application_id:
        raise IllegalTransitionError(case.application_id, case.status, "apply a decision", allowed)
    change = StatusChange(
        at=decision.decided_at,
        status=decision.status,
        by=decision.decided_by,
        note=decision.note,
        decision_id=decision.decision_id,
        reasons=decision.reasons,
    )
    updates: dict[str, object] = {"decision_id": decision.decision_id}
    if decision.status == "rejected":
        updates["open_objections"] = ()
    return case.moved_to(change, **updates)


def _basis(case: Case) -> tuple[str, ...]:
    return tuple(sorted(f"{v.check}:{v.event_id}" for v in case.verdicts.values()))


def _decision(case: Case, status: CaseStatus, now: datetime, **fields: object) -> Decision:
    return Decision.model_validate(
        {
            "decision_id": make_decision_id(case.application_id, status, *_basis(case)),
            "application_id": case.application_id,
            "status": status,
            "decided_at": now,
            **fields,
        }
    )


def _rejection(case: Case, now: datetime, *, late: bool = False) -> Decision:
    failing = [c for c in CHECKS if c in case.verdicts and case.verdicts[c].failed]
    reasons = [
        f"{CHECK_LABELS[c]}未通过" + ("（审查结论于转入下一环节后收到）" if late else "") for c in failing
    ]
    reasons += [
        f"作出决定时{CHECK_LABELS[c]}尚未完成"
        for c in CHECKS
        if c not in case.verdicts or case.verdicts[c].pending
    ]
    findings = [f for c in CHECKS if c in case.verdicts for f in case.verdicts[c].findings]
    return _decision(case, "rejected", now, failed_rules=unique(failed(findings)), reasons=tuple(reasons))


def _review(
    case: Case, now: datetime, held: list[Verdict], waiting: list[CheckName], timeout: timedelta
) -> Decision:
    reasons = [f"{CHECK_LABELS[v.check]}需人工复核（{v.check}: review）" for v in held]
    reasons += [f"{CHECK_LABELS[c]}（{c}）在{describe(timeout)}内未完成，转人工复核" for c in waiting]
    findings = [f for v in held for f in v.findings if f.result == "review"]
    return _decision(case, "needs_review", now, review_findings=unique(findings), reasons=tuple(reasons))


def unique(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings without repeats: the same rule on the same contract is listed once."""
    seen: set[tuple[str, str, str | None]] = set()
    kept: list[Finding] = []
    for f in findings:
        key = (f.rule, f.clause, f.contract_no)
        if key not in seen:
            seen.add(key)
            kept.append(f)
    return tuple(kept)


def describe(span: timedelta) -> str:
    """A duration in plain Chinese: 3天, 6小时, 45分钟, 30秒."""
    seconds = int(span.total_seconds())
    if seconds and seconds % 86400 == 0:
        return f"{seconds // 86400}天"
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}小时"
    if seconds < 60:
        return f"{max(seconds, 1)}秒"
    return f"{seconds // 60}分钟"
