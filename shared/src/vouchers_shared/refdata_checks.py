"""A reference-data load checked as a whole: what the services that read it assume of a kind.

Item by item the models of `vouchers_shared.refdata` already hold (valid USCCs, known officer
roles and restriction lists, percentages from 0 to 100). Across the items of one load:

- one value per key. The same key twice with different values is refused, every row of it
  named; the very same row twice says nothing new and is harmless.
  `audit_reports`: a QR code is registered to one (USCC, fiscal year); listed under two, it
  would answer every QR check of either applicant.
  `holdings`: one percentage per (holder kind, holder, held company).
  `prior_year_unredeemed`: one amount per (USCC, program year).
  `restrictions` and `officers`: a row is its own key, so a repeat is only a repeat.
- `holdings`: a company holder is named by a valid USCC, and the holders of one company hold
  at most 100% of it together.

`providers` has no cross-item check here. Pure: the loader refuses a load with problems, and a
service refuses a snapshot with problems published before these checks existed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from vouchers_shared.refdata import (
    AuditReportItem,
    HoldingItem,
    Item,
    PriorYearUnredeemedItem,
)
from vouchers_shared.types import is_uscc

T = TypeVar("T", bound=Item)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with some rows of a load: `rows` are 0-based indexes into the items."""

    rows: tuple[int, ...]
    field: str
    code: str
    message: str

    def as_error(self) -> dict[str, str]:
        """The documented error item, its field the first row's: {"field": "[3].pct", ...}."""
        return {"field": f"[{self.rows[0]}].{self.field}", "code": self.code, "message": self.message}


def snapshot_problems(kind: str, items: Sequence[Item]) -> list[RowProblem]:
    """Every problem of one kind's items taken together; empty when the load is sound."""
    check = _CHECKS.get(kind)
    return check(items) if check is not None else []


def _rows(indexes: Sequence[int]) -> str:
    return ", ".join(str(i) for i in indexes)


def _conflicts(
    items: Sequence[T],
    key: Callable[[T], Hashable],
    value: Callable[[T], str],
    field: str,
    what: Callable[[T], str],
) -> list[RowProblem]:
    """One problem per key given more than one value, naming every row of that key."""
    rows: dict[Hashable, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        rows[key(item)].append(i)
    problems = []
    for indexes in rows.values():
        values = list(dict.fromkeys(value(items[i]) for i in indexes))
        if len(values) > 1:
            problems.append(
                RowProblem(
                    tuple(indexes),
                    field,
                    "CONFLICTING_DUPLICATE",
                    f"rows {_rows(indexes)} give {what(items[indexes[0]])} different values "
                    f"({'; '.join(values)}); keep one row",
                )
            )
    return problems


def _audit_reports(items: Sequence[Item]) -> list[RowProblem]:
    reports = [i for i in items if isinstance(i, AuditReportItem)]
    return _conflicts(
        reports,
        lambda r: r.qr_code,
        lambda r: f"{r.uscc} FY{r.fiscal_year}",
        "qr_code",
        lambda r: f"QR code {r.qr_code!r}",
    )


def _prior_year_unredeemed(items: Sequence[Item]) -> list[RowProblem]:
    rows = [i for i in items if isinstance(i, PriorYearUnredeemedItem)]
    return _conflicts(
        rows,
        lambda r: (r.uscc, r.program_year),
        lambda r: f"{r.unredeemed_cny:.2f}",
        "unredeemed_cny",
        lambda r: f"{r.uscc} in {r.program_year}",
    )


def _holding_key(h: HoldingItem) -> tuple[str, str, str]:
    return (h.holder_kind, h.holder_id, h.held_uscc)


def _holdings(items: Sequence[Item]) -> list[RowProblem]:
    holdings = [i for i in items if isinstance(i, HoldingItem)]
    problems = [
        RowProblem(
            (i,),
            "holder_id",
            "INVALID_USCC",
            f"a company holder is named by its unified social credit code; {h.holder_id!r} is not one",
        )
        for i, h in enumerate(holdings)
        if h.holder_kind == "company" and not is_uscc(h.holder_id)
    ]
    problems += _conflicts(
        holdings,
        _holding_key,
        lambda h: f"{h.pct}%",
        "pct",
        lambda h: f"the holding of {h.holder_id} in {h.held_uscc}",
    )
    return problems + _over_100(holdings)


def _over_100(holdings: Sequence[HoldingItem]) -> list[RowProblem]:
    """Companies whose distinct holders hold more than 100% (a conflicting repeat counts once)."""
    held: dict[str, dict[tuple[str, str, str], Decimal]] = defaultdict(dict)
    rows: dict[str, list[int]] = defaultdict(list)
    for i, h in enumerate(holdings):
        holders = held[h.held_uscc]
        holders[_holding_key(h)] = max(holders.get(_holding_key(h), Decimal(0)), h.pct)
        rows[h.held_uscc].append(i)
    return [
        RowProblem(
            tuple(rows[company]),
            "pct",
            "HOLDINGS_OVER_100",
            f"rows {_rows(rows[company])} give the holders of {company} "
            f"{sum(holders.values(), Decimal(0))}% of it together; at most 100% can be held",
        )
        for company, holders in held.items()
        if sum(holders.values(), Decimal(0)) > 100
    ]


_CHECKS: dict[str, Callable[[Sequence[Item]], list[RowProblem]]] = {
    "audit_reports": _audit_reports,
    "holdings": _holdings,
    "prior_year_unredeemed": _prior_year_unredeemed,
}
