"""A consumer is behind while its polls come full, and for a while after the last full one."""

from __future__ import annotations

from vouchers_shared.messaging.backlog import Backlog
from vouchers_shared.testing.manual_clock import ManualClock


def test_nothing_polled_yet_is_not_behind() -> None:
    assert not Backlog().behind()


def test_a_full_batch_is_behind_until_the_hold_passes() -> None:
    clock = ManualClock()
    backlog = Backlog(hold_s=10.0, clock=clock)
    backlog.batch(100, most=100)
    assert backlog.behind()
    clock.now += 9.9
    assert backlog.behind()
    clock.now += 0.1
    assert not backlog.behind()


def test_a_batch_short_of_full_says_nothing() -> None:
    clock = ManualClock()
    backlog = Backlog(hold_s=10.0, clock=clock)
    backlog.batch(99, most=100)
    assert not backlog.behind()
    backlog.batch(100, most=100)
    clock.now += 5
    backlog.batch(3, most=100)  # one consumer caught up; another may not have
    assert backlog.behind()
    clock.now += 5
    assert not backlog.behind()


def test_each_full_batch_holds_it_behind_anew() -> None:
    clock = ManualClock()
    backlog = Backlog(hold_s=10.0, clock=clock)
    for _ in range(5):
        backlog.batch(50, most=50)
        clock.now += 8
        assert backlog.behind()
    clock.now += 2
    assert not backlog.behind()
