"""When the CPA platform does not answer: retry with capped exponential backoff, then review.

Pure logic: the caller keeps the attempt count and the instant the finding first went
`pending`, asks `next_step` after each unanswered attempt, and either schedules the next
attempt or applies `give_up` to the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from vouchers_shared.findings import worded
from vouchers_shared.wording import say

from verification.domain.model import VerificationResult
from verification.domain.rulebook import outcome_of

_MAX_EXPONENT = 62  # keeps 2**n finite long after any cap is reached


@dataclass(frozen=True)
class RetryAfter:
    """Ask the platform again `delay_s` seconds from now, at `at`, as attempt `attempt`."""

    delay_s: float
    at: datetime
    attempt: int


@dataclass(frozen=True)
class GiveUp:
    """Stop asking: the QR finding goes to an operator for review."""

    attempts: int
    reason: Literal["attempts_exhausted", "deadline_passed"]


def backoff_delay(attempt: int, *, base_delay_s: float, cap_s: float) -> float:
    """Delay after unanswered attempt `attempt` (1-based): base · 2^(attempt−1), at most cap."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if base_delay_s <= 0 or cap_s < base_delay_s:
        raise ValueError("need 0 < base_delay_s <= cap_s")
    return float(min(cap_s, base_delay_s * 2 ** min(attempt - 1, _MAX_EXPONENT)))


def next_step(
    attempt: int,
    first_pending_at: datetime,
    now: datetime,
    *,
    max_attempts: int,
    base_delay_s: float,
    cap_s: float,
    deadline_s: float | None = None,
) -> RetryAfter | GiveUp:
    """After unanswered attempt `attempt`, retry later or give up.

    Gives up once `max_attempts` attempts went unanswered, or when the next attempt would
    fall more than `deadline_s` seconds after `first_pending_at`.
    """
    if first_pending_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if attempt >= max_attempts:
        return GiveUp(attempts=attempt, reason="attempts_exhausted")
    delay = backoff_delay(attempt, base_delay_s=base_delay_s, cap_s=cap_s)
    at = now + timedelta(seconds=delay)
    if deadline_s is not None and at > first_pending_at + timedelta(seconds=deadline_s):
        return GiveUp(attempts=attempt, reason="deadline_passed")
    return RetryAfter(delay_s=delay, at=at, attempt=attempt + 1)


def give_up(result: VerificationResult, *, attempts: int, first_pending_at: datetime) -> VerificationResult:
    """The verdict with each pending MAT-AUDIT-QR finding turned into `review`."""
    since = first_pending_at.isoformat(timespec="seconds")
    text = say("MAT-AUDIT-QR.unanswered", since=since, attempts=str(attempts))
    findings = [
        f.model_copy(update={"result": "review", **worded(text)})
        if f.rule == "MAT-AUDIT-QR" and f.result == "pending"
        else f
        for f in result.findings
    ]
    return VerificationResult(outcome=outcome_of(findings), findings=findings)


__all__ = ["GiveUp", "RetryAfter", "backoff_delay", "give_up", "next_step"]
