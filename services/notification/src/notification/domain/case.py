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
- Once decided, the case keeps recording verdicts, but only the status machine moves it on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field
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
    timeline: tuple[StatusChange, ...] = ()

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
    if case.status != "checking":
        return None
    verdicts = case.verdicts
    timed_out = now - case.opened_at >= check_timeout
    if any(v.failed for v in verdicts.values()) and (timed_out or all(c in verdicts for c in CHECKS)):
        return _rejection(case, now)
    waiting = [c for c in CHECKS if c not in verdicts or verdicts[c].pending]
    if waiting and not timed_out:
        return None
    held = [v for v in verdicts.values() if v.held_for_review]
    if held or waiting:
        return _review(case, now, held, waiting, check_timeout)
    return _decision(case, "awaiting_notice", now, reasons=("三项审查均已通过，待社会公示",))


def apply_decision(case: Case, decision: Decision) -> Case:
    """The case moved to the status its system decision names."""
    if case.status != "checking" or decision.application_id != case.application_id:
        raise IllegalTransitionError(case.application_id, case.status, "apply a decision", ["checking"])
    change = StatusChange(at=decision.decided_at, status=decision.status, decision_id=decision.decision_id,
                          reasons=decision.reasons)
    return case.moved_to(change, decision_id=decision.decision_id)


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


def _rejection(case: Case, now: datetime) -> Decision:
    failing = [c for c in CHECKS if c in case.verdicts and case.verdicts[c].failed]
    reasons = [f"{CHECK_LABELS[c]}未通过" for c in failing]
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
