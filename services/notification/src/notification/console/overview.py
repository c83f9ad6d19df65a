"""The overview: cases by status, money reserved and granted this year, cases near the limit,
the reference data the latest verdicts were reached on, and where the dashboards are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from notification.adapters.mongo_store import StoredCase
from notification.console.queue import STATUSES, QueueRow
from notification.domain.case import Case

# Past the checks, before approval: the voucher is held on the applicant's yearly ledger.
RESERVED: Final = ("awaiting_notice", "in_public_notice", "objection_raised")
# The provisioned Grafana dashboards (deploy/grafana/dashboards/*.json), by uid.
DASHBOARDS: Final = (
    "vouchers-overview",
    "vouchers-intake",
    "vouchers-eligibility",
    "vouchers-verification",
    "vouchers-notification",
)


@dataclass(frozen=True)
class StatusLine:
    status: str
    cases: int
    voucher_cny: Decimal


@dataclass(frozen=True)
class Overview:
    lines: tuple[StatusLine, ...]
    reserved_cny: Decimal
    granted_cny: Decimal
    year: int
    near_limit: tuple[QueueRow, ...]
    refdata_versions: Mapping[str, str]

    @property
    def total_cases(self) -> int:
        return sum(line.cases for line in self.lines)


def _voucher(case: Case) -> Decimal:
    return case.voucher.total_cny if case.voucher else Decimal("0.00")


def status_lines(cases: Sequence[Case]) -> tuple[StatusLine, ...]:
    """Every status with its cases and the sum of their vouchers (zero rows kept)."""
    counts = Counter(c.status for c in cases)
    sums: dict[str, Decimal] = {}
    for c in cases:
        sums[c.status] = sums.get(c.status, Decimal("0.00")) + _voucher(c)
    return tuple(StatusLine(s, counts.get(s, 0), sums.get(s, Decimal("0.00"))) for s in STATUSES)


def granted_in(cases: Iterable[Case], year: int) -> Decimal:
    return sum(
        (
            _voucher(c)
            for c in cases
            if c.status == "approved" and c.approved_on is not None and c.approved_on.year == year
        ),
        Decimal("0.00"),
    )


def near_limit(rows: Iterable[QueueRow], warning_days: int) -> tuple[QueueRow, ...]:
    """Open cases past the warning mark (50 working days), the longest-running first."""
    found = [
        r
        for r in rows
        if r.days_left is not None and r.working_days is not None and r.working_days > warning_days
    ]
    return tuple(sorted(found, key=lambda r: -(r.working_days or 0)))


def latest_versions(reports: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The newest version of each reference-data kind among the verdicts' reports (versions
    sort by their load time)."""
    newest: dict[str, str] = {}
    for report in reports:
        for kind, version in report.items():
            if version > newest.get(kind, ""):
                newest[kind] = version
    return dict(sorted(newest.items()))


def overview(
    stored: Sequence[StoredCase],
    rows: Sequence[QueueRow],
    *,
    year: int,
    warning_days: int,
    refdata_versions: Mapping[str, str],
) -> Overview:
    cases = [s.case for s in stored]
    lines = status_lines(cases)
    reserved = sum((line.voucher_cny for line in lines if line.status in RESERVED), Decimal("0.00"))
    return Overview(
        lines, reserved, granted_in(cases, year), year, near_limit(rows, warning_days), refdata_versions
    )
