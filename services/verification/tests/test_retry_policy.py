"""Pending QR checks: retry with capped exponential backoff, then hand over for review."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from verification.domain.model import QrAnswer
from verification.domain.retry_policy import (
    GiveUp,
    RetryAfter,
    backoff_delay,
    give_up,
    next_step,
)
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, AppBuilder

CST = timezone(timedelta(hours=8))
FIRST = datetime(2026, 5, 20, 10, 0, tzinfo=CST)
POLICY = {"max_attempts": 5, "base_delay_s": 30.0, "cap_s": 300.0}


@pytest.mark.parametrize(
    ("attempt", "delay"), [(1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0), (5, 300.0), (40, 300.0)]
)
def test_the_delay_doubles_after_each_unanswered_attempt_up_to_the_cap(attempt: int, delay: float) -> None:
    assert backoff_delay(attempt, base_delay_s=30.0, cap_s=300.0) == delay


def test_an_unanswered_attempt_is_retried_after_the_backoff() -> None:
    now = FIRST + timedelta(seconds=90)

    step = next_step(2, FIRST, now, **POLICY)

    assert step == RetryAfter(delay_s=60.0, at=now + timedelta(seconds=60), attempt=3)


def test_asking_stops_once_the_last_attempt_went_unanswered() -> None:
    assert next_step(5, FIRST, FIRST, **POLICY) == GiveUp(attempts=5, reason="attempts_exhausted")
    assert isinstance(next_step(4, FIRST, FIRST, **POLICY), RetryAfter)


def test_asking_stops_when_the_next_attempt_would_pass_the_deadline() -> None:
    now = FIRST + timedelta(minutes=9)

    step = next_step(3, FIRST, now, **POLICY, deadline_s=600.0)

    assert step == GiveUp(attempts=3, reason="deadline_passed")


def test_an_instant_without_a_utc_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_step(1, FIRST.replace(tzinfo=None), FIRST, **POLICY)


@pytest.mark.parametrize(("attempt", "base", "cap"), [(0, 1.0, 2.0), (1, 0.0, 2.0), (1, 3.0, 2.0)])
def test_nonsense_backoff_settings_are_refused(attempt: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match=r"attempt numbers start at 1|base_delay_s"):
        backoff_delay(attempt, base_delay_s=base, cap_s=cap)


@given(
    attempt=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.01, max_value=60.0),
    extra=st.floats(min_value=0.0, max_value=3600.0),
)
def test_delays_never_shrink_and_never_exceed_the_cap(attempt: int, base: float, extra: float) -> None:
    cap = base + extra
    delay = backoff_delay(attempt, base_delay_s=base, cap_s=cap)
    following = backoff_delay(attempt + 1, base_delay_s=base, cap_s=cap)

    assert base <= delay <= following <= cap


def test_giving_up_turns_the_pending_qr_finding_into_review() -> None:
    pending = verify(
        AppBuilder.example().build(),
        qr_answers={"CPA-2025-5K00010T": QrAnswer.UNAVAILABLE},
        params=PARAMS_2026,
    )
    assert pending.outcome == "pending"

    result = give_up(pending, attempts=5, first_pending_at=FIRST)

    assert result.outcome == "review"
    [qr] = result.of_rule("MAT-AUDIT-QR")
    assert (qr.result, qr.clause) == ("review", "声明二")
    assert "未应答" in qr.message
    assert "did not answer 5 queries" in qr.message_en
    others = [f for f in result.findings if f.rule != "MAT-AUDIT-QR"]
    assert others == [f for f in pending.findings if f.rule != "MAT-AUDIT-QR"]


def test_giving_up_leaves_a_failed_verdict_failed() -> None:
    pending = verify(AppBuilder.example().without("audit_consent").build(), qr_answers={}, params=PARAMS_2026)

    assert give_up(pending, attempts=3, first_pending_at=FIRST).outcome == "failed"
