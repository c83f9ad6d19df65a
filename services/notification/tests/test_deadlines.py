"""The 60-working-day limit: working days since acceptance, the public notice left out (十)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from notification.domain.case import Case, Status, StatusChange
from notification.domain.deadlines import is_past, working_days_elapsed
from notification_testkit import new_case
from vouchers_shared.clock import SHANGHAI


def opened_on(day: date, status: Status = "awaiting_notice") -> Case:
    opened = datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)
    case = new_case().model_copy(update={"opened_at": opened})
    return case.moved_to(StatusChange(at=opened + timedelta(hours=1), status=status))


def test_an_open_case_counts_working_days_across_national_day() -> None:
    # 09-25 is Mid-Autumn, 10-01..10-07 National Day; Saturday 10-10 is a make-up working day.
    case = opened_on(date(2026, 9, 24))
    assert working_days_elapsed(case, date(2026, 10, 13)) == 8


def test_the_notice_period_is_left_out() -> None:
    case = opened_on(date(2026, 9, 24), "in_public_notice").model_copy(
        update={"notice_starts_on": date(2026, 9, 29), "notice_ends_on": date(2026, 10, 10)}
    )
    assert working_days_elapsed(case, date(2026, 10, 13)) == 3  # 09-28, 10-12, 10-13


def test_a_case_is_past_fifty_working_days_on_the_fifty_first() -> None:
    # 05-21 .. 07-31: 7 days in May, 21 in June (Dragon Boat on 06-19), 23 in July.
    case = opened_on(date(2026, 5, 20))
    assert working_days_elapsed(case, date(2026, 7, 30)) == 50
    assert not is_past(case, date(2026, 7, 30), 50)
    assert is_past(case, date(2026, 7, 31), 50)


def test_a_decided_case_stops_counting_and_is_never_flagged() -> None:
    case = opened_on(date(2026, 5, 20), "approved").model_copy(update={"approved_on": date(2026, 5, 27)})
    assert working_days_elapsed(case, date(2026, 12, 30)) == 5
    assert not is_past(case, date(2026, 12, 30), 50)


def test_a_day_in_a_year_the_calendar_does_not_know_gives_no_count_and_no_flag() -> None:
    case = opened_on(date(2026, 12, 1))
    assert working_days_elapsed(case, date(2027, 3, 1)) is None
    assert not is_past(case, date(2027, 3, 1), 50)
