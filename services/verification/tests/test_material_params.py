"""Material parameters come from the program year's parameters file, not from code."""

from __future__ import annotations

from datetime import date

import pytest
from verification.domain.model import MaterialParams, young_enterprise_cutoff
from verification_testkit import PARAMS_2026
from vouchers_shared.program import load_program


def test_the_2026_program_accepts_fy2025_then_fy2024_and_counts_young_from_2025_05_01() -> None:
    params = MaterialParams.from_program(load_program(2026))

    assert params == MaterialParams(audit_fiscal_years=(2025, 2024), young_enterprise_cutoff=date(2025, 5, 1))
    assert params == PARAMS_2026


@pytest.mark.parametrize(
    ("published", "years", "cutoff"),
    [
        (date(2026, 4, 30), 1, date(2025, 5, 1)),
        (date(2026, 1, 1), 1, date(2025, 1, 2)),
        (date(2026, 4, 30), 2, date(2024, 5, 1)),
        # Registered 2027-02-28 comes of age on 2028-02-28, the day before a 2028-02-29
        # publication; 2027-03-01 is the first registration day still short of a full year.
        (date(2028, 2, 29), 1, date(2027, 3, 1)),
        # Registered 2024-02-29 comes of age on 2025-02-28, the day of a 2025-02-28 publication.
        (date(2025, 2, 28), 1, date(2024, 3, 1)),
    ],
)
def test_the_young_enterprise_cutoff_is_the_first_day_short_of_a_full_year(
    published: date, years: int, cutoff: date
) -> None:
    assert young_enterprise_cutoff(published, years) == cutoff


def test_a_fiscal_year_named_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="repeat"):
        MaterialParams(audit_fiscal_years=(2025, 2025), young_enterprise_cutoff=date(2025, 5, 1))
