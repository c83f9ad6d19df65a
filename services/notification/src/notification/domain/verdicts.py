"""The three checks' verdicts as the case records them, one per check, latest event time wins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.events import (
    CoiAssessed,
    EligibilityAssessed,
    VerificationCompleted,
    Voucher,
)
from vouchers_shared.findings import Finding


def _shanghai(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an instant must be timezone-aware")
    return value.astimezone(SHANGHAI)


Instant = Annotated[datetime, AfterValidator(_shanghai)]
"""A timezone-aware instant, kept in Asia/Shanghai time."""

CheckName = Literal["eligibility", "conflict_of_interest", "verification"]
CHECKS: Final[tuple[CheckName, ...]] = ("eligibility", "conflict_of_interest", "verification")
CHECK_LABELS: Final[dict[CheckName, str]] = {
    "eligibility": "资格审查",
    "conflict_of_interest": "关联关系审查",
    "verification": "材料核查",
}
OUTCOMES: Final[dict[CheckName, frozenset[str]]] = {
    "eligibility": frozenset({"pending", "pass", "fail", "review"}),
    "conflict_of_interest": frozenset({"pending", "clear", "conflict", "review"}),
    "verification": frozenset({"pending", "verified", "failed", "review"}),
}
_FAILING: Final = frozenset({"fail", "failed"})


class Verdict(BaseModel):
    """One check's outcome for one application, as carried by one event."""

    model_config = ConfigDict(frozen=True)

    check: CheckName
    outcome: str
    findings: tuple[Finding, ...] = ()
    event_id: str
    at: Instant
    voucher: Voucher | None = None
    settles_review: str | None = None
    """The passed review this (eligibility) verdict answers with the voucher reserved for it."""

    @model_validator(mode="after")
    def _outcome_belongs_to_check(self) -> Verdict:
        if self.outcome not in OUTCOMES[self.check]:
            allowed = ", ".join(sorted(OUTCOMES[self.check]))
            raise ValueError(f"{self.check} outcome {self.outcome!r} is not one of {allowed}")
        return self

    @property
    def pending(self) -> bool:
        return self.outcome == "pending"

    @property
    def failed(self) -> bool:
        """Eligibility `fail` or verification `failed`; a COI `conflict` is not a failure here."""
        return self.outcome in _FAILING

    @property
    def held_for_review(self) -> bool:
        return self.outcome == "review"

    def supersedes(self, other: Verdict) -> bool:
        """Whether this verdict replaces `other` for the same check.

        The later event time wins; two verdicts of the same instant are ordered by event id,
        so the case ends up the same whatever order the events arrive in.
        """
        return (self.at, self.event_id) > (other.at, other.event_id)


def eligibility_verdict(event: EligibilityAssessed, event_id: str) -> Verdict:
    """The eligibility verdict carried by an `eligibility.assessed` event."""
    return Verdict(
        check="eligibility",
        outcome=event.outcome,
        findings=tuple(event.findings),
        event_id=event_id,
        at=event.assessed_at,
        voucher=event.voucher,
        settles_review=event.settles_review,
    )


def coi_verdict(event: CoiAssessed, event_id: str) -> Verdict:
    """The conflict-of-interest verdict carried by a `coi.assessed` event."""
    return Verdict(
        check="conflict_of_interest",
        outcome=event.outcome,
        findings=tuple(event.findings),
        event_id=event_id,
        at=event.assessed_at,
    )


def verification_verdict(event: VerificationCompleted, event_id: str) -> Verdict:
    """The verification verdict carried by a `verification.completed` event."""
    return Verdict(
        check="verification",
        outcome=event.outcome,
        findings=tuple(event.findings),
        event_id=event_id,
        at=event.completed_at,
    )
