"""Requests per subject: a minute's worth at once, then the steady rate, each subject on its own."""

import pytest
from vouchers_shared.rate_limit import RateLimiter
from vouchers_shared.testing.manual_clock import ManualClock


def test_a_full_minute_goes_through_at_once_and_the_next_one_waits() -> None:
    clock = ManualClock()
    limiter = RateLimiter(6, clock=clock)
    assert [limiter.wait_s("submitter:A") for _ in range(6)] == [0.0] * 6
    assert limiter.wait_s("submitter:A") == pytest.approx(10.0)


def test_the_bucket_refills_at_the_steady_rate() -> None:
    clock = ManualClock()
    limiter = RateLimiter(6, clock=clock)
    for _ in range(6):
        limiter.wait_s("submitter:A")
    clock.now += 9.9
    assert limiter.wait_s("submitter:A") == pytest.approx(0.1)
    clock.now += 0.1
    assert limiter.wait_s("submitter:A") == 0.0
    assert limiter.wait_s("submitter:A") == pytest.approx(10.0)


def test_a_refused_attempt_takes_nothing_from_the_bucket() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, clock=clock)
    for _ in range(60):
        limiter.wait_s("submitter:A")
    for _ in range(100):  # hammering while refused does not push the next slot further away
        assert limiter.wait_s("submitter:A") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.wait_s("submitter:A") == 0.0


def test_a_bucket_never_holds_more_than_a_minute() -> None:
    clock = ManualClock()
    limiter = RateLimiter(3, clock=clock)
    limiter.wait_s("submitter:A")
    clock.now += 3600
    assert [limiter.wait_s("submitter:A") for _ in range(4)][-1] > 0


def test_each_subject_has_its_own_bucket() -> None:
    limiter = RateLimiter(1, clock=ManualClock())
    assert limiter.wait_s("submitter:A") == 0.0
    assert limiter.wait_s("submitter:A") > 0
    assert limiter.wait_s("submitter:B") == 0.0


def test_retry_after_is_none_while_allowed_then_whole_seconds_at_least_one() -> None:
    clock = ManualClock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.retry_after("203.0.113.9") is None
    assert limiter.retry_after("203.0.113.9") is None
    assert limiter.retry_after("203.0.113.9") == 30
    clock.now += 29.5
    assert limiter.retry_after("203.0.113.9") == 1  # half a second left: never "0"


def test_many_subjects_do_not_grow_the_table_without_bound() -> None:
    clock = ManualClock()
    limiter = RateLimiter(1, clock=clock, max_subjects=100)
    for i in range(1000):
        limiter.wait_s(f"submitter:{i}")
    assert len(limiter._buckets) <= 100
    assert limiter.wait_s("submitter:999") > 0  # the newest are the ones kept


def test_a_rate_below_one_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)
