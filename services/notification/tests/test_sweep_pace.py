"""The sweep's pace with nothing coming in: slow, but never so slow that a check times out more
than a tenth late, and never faster than its pace under work."""

from __future__ import annotations

from notification.config import Settings
from vouchers_shared import signing_key

KEY = signing_key.generate()


def test_idle_the_sweep_waits_a_minute_by_default() -> None:
    assert Settings(vouchers_token_key=KEY).sweep_idle_s() == 60.0


def test_a_short_check_timeout_keeps_the_idle_sweep_within_a_tenth_of_it() -> None:
    assert Settings(vouchers_token_key=KEY, check_timeout_s=100).sweep_idle_s() == 10.0
    assert Settings(vouchers_token_key=KEY, check_timeout_s=10, sweep_interval_s=0.5).sweep_idle_s() == 1.0


def test_the_idle_pace_is_never_faster_than_the_pace_under_work() -> None:
    assert Settings(vouchers_token_key=KEY, check_timeout_s=10, sweep_interval_s=5).sweep_idle_s() == 5.0
    assert Settings(vouchers_token_key=KEY, sweep_idle_interval_s=1, sweep_interval_s=5).sweep_idle_s() == 5.0
