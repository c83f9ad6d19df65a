"""Working days follow the State Council's 2026 holiday schedule, as chinesecalendar records it."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from vouchers_shared.workdays import (
    CalendarYearUnknown,
    add_working_days,
    is_working_day,
    next_working_day,
    notice_period,
    working_days_between,
    working_days_outside,
)

FIRST_UNKNOWN_YEAR = max(chinese_calendar.holidays).year + 1
FIRST_KNOWN_YEAR = min(chinese_calendar.holidays).year


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# National Day and Mid-Autumn 2026: 10-01..10-07 off; Sunday 09-20 and Saturday 10-10 worked.


def test_national_day_2026_is_seven_days_off() -> None:
    assert [is_working_day(d) for d in days(date(2026, 10, 1), date(2026, 10, 7))] == [False] * 7
    assert is_working_day(date(2026, 10, 8))


def test_national_day_2026_make_up_days_are_sunday_20_september_and_saturday_10_october() -> None:
    assert date(2026, 9, 20).weekday() == 6
    assert is_working_day(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5
    assert is_working_day(date(2026, 10, 10))
    assert not is_working_day(date(2026, 10, 11))


def test_the_first_working_day_after_30_september_is_8_october() -> None:
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert working_days_between(date(2026, 10, 9), date(2026, 10, 11)) == 1


def test_five_day_notice_opened_on_30_september_ends_on_12_october() -> None:
    # 09-30 (day 1), 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
    assert notice_period(date(2026, 9, 30), 5) == (date(2026, 9, 30), date(2026, 10, 12))


def test_notice_opened_during_national_day_starts_on_the_next_working_day() -> None:
    assert notice_period(date(2026, 10, 3), 5) == (date(2026, 10, 8), date(2026, 10, 13))


def test_a_one_day_notice_ends_on_the_day_it_starts() -> None:
    assert notice_period(date(2026, 9, 30), 1) == (date(2026, 9, 30), date(2026, 9, 30))


def test_working_days_across_national_day_leave_out_the_holiday() -> None:
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4


# Spring Festival 2026: 02-15..02-23 off (nine days); Saturdays 02-14 and 02-28 worked.


def test_spring_festival_2026_is_nine_days_off() -> None:
    off = days(date(2026, 2, 15), date(2026, 2, 23))
    assert [is_working_day(d) for d in off] == [False] * 9
    assert is_working_day(date(2026, 2, 24))


def test_spring_festival_make_up_saturdays_are_14_and_28_february() -> None:
    for saturday in (date(2026, 2, 14), date(2026, 2, 28)):
        assert saturday.weekday() == 5
        assert is_working_day(saturday)


def test_counting_across_spring_festival_uses_the_make_up_saturday() -> None:
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2


def test_labour_day_make_up_saturday_9_may_is_worked() -> None:
    assert not is_working_day(date(2026, 5, 5))
    assert is_working_day(date(2026, 5, 9))


def test_ordinary_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 5, 23))
    assert not is_working_day(date(2026, 5, 24))
    assert next_working_day(date(2026, 5, 23)) == date(2026, 5, 25)


def test_adding_zero_working_days_is_the_start_itself() -> None:
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_no_working_days_between_a_date_and_itself_or_an_earlier_one() -> None:
    assert working_days_between(date(2026, 5, 20), date(2026, 5, 20)) == 0
    assert working_days_between(date(2026, 5, 20), date(2026, 5, 1)) == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 5, 20), -1)
    with pytest.raises(ValueError, match="at least one"):
        notice_period(date(2026, 5, 20), 0)


@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 11, 30)),
    n=st.integers(min_value=0, max_value=20),
)
def test_counting_back_the_days_added_gives_the_same_number(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert n == 0 or is_working_day(end)


# Years the installed calendar does not know are refused, never guessed.


def test_the_first_unknown_year_is_after_2026() -> None:
    assert FIRST_UNKNOWN_YEAR > 2026


def test_a_date_in_an_unknown_year_is_refused_naming_the_year() -> None:
    with pytest.raises(CalendarYearUnknown, match=str(FIRST_UNKNOWN_YEAR)) as caught:
        is_working_day(date(FIRST_UNKNOWN_YEAR, 3, 2))
    assert caught.value.year == FIRST_UNKNOWN_YEAR
    assert not isinstance(caught.value, NotImplementedError)


def test_a_year_before_the_calendar_begins_is_refused() -> None:
    with pytest.raises(CalendarYearUnknown, match=str(FIRST_KNOWN_YEAR - 1)):
        is_working_day(date(FIRST_KNOWN_YEAR - 1, 6, 2))


def test_counting_into_an_unknown_year_is_refused() -> None:
    last_known = date(FIRST_UNKNOWN_YEAR - 1, 12, 28)
    with pytest.raises(CalendarYearUnknown, match=str(FIRST_UNKNOWN_YEAR)):
        add_working_days(last_known, 10)
    with pytest.raises(CalendarYearUnknown, match=str(FIRST_UNKNOWN_YEAR)):
        working_days_between(last_known, date(FIRST_UNKNOWN_YEAR, 1, 15))
    with pytest.raises(CalendarYearUnknown, match=str(FIRST_UNKNOWN_YEAR)):
        notice_period(date(FIRST_UNKNOWN_YEAR - 1, 12, 31), 5)


# The processing limit counts working days since acceptance with the public notice left out.


def test_the_notice_period_across_national_day_is_left_out_of_the_elapsed_working_days() -> None:
    # Accepted Thursday 09-24; notice 09-29..10-10 (the make-up Saturday inside); read on 10-13.
    notice = (date(2026, 9, 29), date(2026, 10, 10))
    assert working_days_between(date(2026, 9, 24), date(2026, 10, 13)) == 8
    assert working_days_outside(date(2026, 9, 24), date(2026, 10, 13), notice) == 3  # 09-28, 10-12, 10-13


def test_a_notice_opened_on_the_day_of_acceptance_takes_off_only_the_days_counted() -> None:
    notice = (date(2026, 5, 20), date(2026, 5, 26))
    assert working_days_outside(date(2026, 5, 20), date(2026, 5, 27), notice) == 1
    assert working_days_outside(date(2026, 5, 20), date(2026, 5, 22), notice) == 0


def test_without_a_notice_the_elapsed_days_are_the_working_days_between() -> None:
    assert working_days_outside(date(2026, 9, 24), date(2026, 10, 13)) == 8
