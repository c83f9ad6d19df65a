"""The work queue as staff see it: which cases, in what order, on which page.

Cases held for review come first, since nothing moves them but a person; then the cases that
have taken the most working days against the 60-working-day limit (十), the days shown with
what is left of the limit. A search matches the application id, the applicant's USCC or a part
of the applicant's name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

PAGE_SIZE: Final = 25
STATUSES: Final = (
    "needs_review",
    "checking",
    "awaiting_notice",
    "in_public_notice",
    "objection_raised",
    "approved",
    "rejected",
)
OPEN: Final = frozenset(STATUSES[:5])


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    search: str = ""
    page: int = 1

    @classmethod
    def of(cls, status: str | None, search: str | None, page: str | None) -> QueueFilter:
        """From query parameters; anything unknown or malformed falls back to the default."""
        try:
            number = max(1, min(int(page or 1), 100_000))
        except ValueError:
            number = 1
        return cls(status if status in STATUSES else None, (search or "").strip()[:100], number)


@dataclass(frozen=True)
class QueueRow:
    application_id: str
    applicant_uscc: str
    applicant_name: str
    project_title: str
    status: str
    opened_at: str
    working_days: int | None
    days_left: int | None  # of the limit, for an open case; negative past it

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int
    page: int
    pages: int


def row(summary: Mapping[str, Any], limit_days: int) -> QueueRow:
    """One case summary (`operations.summary`) as a row of the queue."""
    days = summary.get("working_days_elapsed")
    status = str(summary["status"])
    left = limit_days - days if isinstance(days, int) and status in OPEN else None
    return QueueRow(
        str(summary["application_id"]),
        str(summary.get("applicant_uscc") or ""),
        str(summary.get("applicant_name") or ""),
        str(summary.get("project_title") or ""),
        status,
        str(summary.get("opened_at") or ""),
        days if isinstance(days, int) else None,
        left,
    )


def matches(r: QueueRow, search: str) -> bool:
    if not search:
        return True
    wanted = search.casefold()
    return (
        wanted == r.application_id.casefold()
        or wanted == r.applicant_uscc.casefold()
        or wanted in r.applicant_name.casefold()
    )


def order(rows: Sequence[QueueRow]) -> list[QueueRow]:
    """needs_review first, then open cases by working days taken (most first), then the rest."""

    def key(r: QueueRow) -> tuple[int, int, str]:
        group = 0 if r.status == "needs_review" else 1 if r.status in OPEN else 2
        return group, -(r.working_days if r.working_days is not None else -1), r.opened_at

    return sorted(rows, key=key)


def queue(
    summaries: Sequence[Mapping[str, Any]], wanted: QueueFilter, limit_days: int, page_size: int = PAGE_SIZE
) -> QueuePage:
    rows = [
        r
        for r in (row(s, limit_days) for s in summaries)
        if (wanted.status is None or r.status == wanted.status) and matches(r, wanted.search)
    ]
    ordered = order(rows)
    pages = max(1, math.ceil(len(ordered) / page_size))
    page = min(wanted.page, pages)
    start = (page - 1) * page_size
    return QueuePage(tuple(ordered[start : start + page_size]), len(ordered), page, pages)
