"""The 60-working-day limit (十、办理时限): working days each case has taken so far.

A case counts the Chinese working days since its application was accepted, up to today or to
the day it was decided for good, with its public-notice period left out (不含特别时限).
Operators are warned at `processing_warning_working_days` (50) so that the case can still
finish inside the limit.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from vouchers_shared import workdays

from notification.domain.case import FINAL_STATUSES, Case

OPEN_STATUSES: Final = frozenset(
    {"checking", "needs_review", "awaiting_notice", "in_public_notice", "objection_raised"}
)


def closed_on(case: Case) -> date | None:
    """The day a final case was decided for good; None while it is open."""
    if case.status not in FINAL_STATUSES:
        return None
    if case.approved_on is not None:
        return case.approved_on
    return case.timeline[-1].at.date() if case.timeline else None


def working_days_elapsed(case: Case, today: date) -> int | None:
    """Working days since acceptance, the notice period left out; None in an unknown year."""
    return elapsed(
        case.opened_at.date(), closed_on(case) or today, case.notice_starts_on, case.notice_ends_on
    )


def elapsed(
    opened_on: date, end: date, notice_starts_on: date | None, notice_ends_on: date | None
) -> int | None:
    """Working days from `opened_on` to `end`, a notice period left out; None in an unknown year."""
    notice = None
    if notice_starts_on is not None and notice_ends_on is not None:
        notice = (notice_starts_on, notice_ends_on)
    try:
        return workdays.working_days_outside(opened_on, end, notice)
    except workdays.CalendarYearUnknown:
        return None


def is_past(case: Case, today: date, mark: int) -> bool:
    """An open case that has taken more than `mark` working days."""
    if case.status not in OPEN_STATUSES:
        return False
    elapsed = working_days_elapsed(case, today)
    return elapsed is not None and elapsed > mark
