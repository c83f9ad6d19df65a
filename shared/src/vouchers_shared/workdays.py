"""Chinese statutory working days (法定工作日), from the State Council's published schedules.

A working day is a Monday to Friday that is not a public holiday, or a weekend day that the
schedule makes a working day (调休补班). The schedules come from the `chinese_calendar`
package, which only knows the years the State Council has already published; a date in any
other year raises `CalendarYearUnknown` rather than being guessed from the weekday.

Counting conventions, used for the processing limit (十, 60 working days) and the public
notice (九, `public_notice_working_days`):

- `add_working_days(start, n)` is the n-th working day *after* `start` (`start` itself is not
  counted, whether or not it is a working day); `add_working_days(start, 0) == start`.
- `working_days_between(start, end)` counts the working days `d` with `start < d <= end`, so
  `working_days_between(s, add_working_days(s, n)) == n`.
- A notice period of N working days starting on `starts_on` (itself a working day) ends on the
  N-th working day counting `starts_on` as day 1: `ends_on = add_working_days(starts_on, N - 1)`.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

_ONE_DAY = timedelta(days=1)


class CalendarYearUnknown(LookupError):
    """The working-day schedule of a year has not been published (or is not installed)."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"the Chinese working-day schedule for {year} is not known "
            f"(chinesecalendar {chinese_calendar.__version__}); "
            "working days in that year cannot be counted until the schedule is installed"
        )


def is_working_day(d: date) -> bool:
    """Whether `d` is a statutory working day; make-up working days count, holidays do not."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError as exc:
        raise CalendarYearUnknown(d.year) from exc


def next_working_day(d: date) -> date:
    """`d` itself when it is a working day, else the first working day after it."""
    while not is_working_day(d):
        d += _ONE_DAY
    return d


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` not counted); `start` itself when n is 0."""
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """The number of working days after `start` up to and including `end`; 0 when end <= start."""
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        if is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count


def working_days_outside(start: date, end: date, left_out: tuple[date, date] | None = None) -> int:
    """`working_days_between(start, end)` without the days from `left_out[0]` to `left_out[1]`.

    The processing limit (十) counts working days since acceptance with the public notice left
    out (不含特别时限); a notice that began on the day of acceptance takes nothing off that day,
    which was never counted.
    """
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        inside = left_out is not None and left_out[0] <= day <= left_out[1]
        if not inside and is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count


def notice_period(opened_on: date, n: int) -> tuple[date, date]:
    """The first and last day of an n-working-day notice opened on `opened_on`.

    The period starts on `opened_on` when that is a working day, else on the next working day,
    and ends on its n-th working day, the start counted as day 1.
    """
    if n < 1:
        raise ValueError(f"a notice period lasts at least one working day, got {n}")
    starts_on = next_working_day(opened_on)
    return starts_on, add_working_days(starts_on, n - 1)
