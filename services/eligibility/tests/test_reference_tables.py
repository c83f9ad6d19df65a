"""The lookup tables built from reference-data snapshots, including snapshots stored before a
load was checked as a whole: one prior-year amount per applicant and year, never more room."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eligibility.refs import build_tables
from vouchers_shared.refdata import Snapshot

A, B = "91440305MA5K00010T", "91440305MA5K00011X"


def tables_of(rows: list[dict[str, Any]]) -> dict[int, dict[str, Decimal]]:
    snapshot = Snapshot(
        kind="prior_year_unredeemed",
        version="v-old",
        loaded_at=datetime.now(UTC),
        loaded_by="cli",
        items=rows,
    )
    return {
        year: dict(amounts)
        for year, amounts in build_tables({"prior_year_unredeemed": snapshot}).prior_unredeemed.items()
    }


def row(uscc: str, amount: str, year: int = 2025) -> dict[str, Any]:
    return {"uscc": uscc, "program_year": year, "unredeemed_cny": amount}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([row(A, "3000000.00")], {A: Decimal("3000000.00")}),
        ([row(A, "3000000.00"), row(A, "3000000.00")], {A: Decimal("3000000.00")}),
        ([row(A, "3000000.00"), row(A, "1000000.00")], {A: Decimal("3000000.00")}),
        (
            [row(A, "1000000.00"), row(B, "5.00"), row(A, "3000000.00")],
            {A: Decimal("3000000.00"), B: Decimal("5.00")},
        ),
    ],
)
def test_one_prior_year_amount_per_applicant_the_larger_where_a_snapshot_gives_two(
    rows: list[dict[str, Any]], expected: dict[str, Decimal]
) -> None:
    assert tables_of(rows) == {2025: expected}


def test_each_program_year_keeps_its_own_amount() -> None:
    assert tables_of([row(A, "1.00", 2024), row(A, "2.00", 2025)]) == {
        2024: {A: Decimal("1.00")},
        2025: {A: Decimal("2.00")},
    }
