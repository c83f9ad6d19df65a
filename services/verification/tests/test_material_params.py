"""Material parameters come from the program year's parameters file, not from code."""

from __future__ import annotations

from datetime import date

import pytest
from verification.domain.model import MaterialParams
from verification_testkit import PARAMS_2026
from vouchers_shared.program import load_program
from vouchers_shared.young_enterprise import YoungEnterprise


def test_the_2026_program_accepts_fy2025_then_fy2024_and_counts_young_from_2025_05_01() -> None:
    params = MaterialParams.from_program(load_program(2026))

    assert params == MaterialParams(
        audit_fiscal_years=(2025, 2024), young_enterprise=YoungEnterprise(date(2026, 4, 30), 1)
    )
    assert params.young_enterprise.first_young_registration == date(2025, 5, 1)
    assert params == PARAMS_2026


def test_a_fiscal_year_named_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="repeat"):
        MaterialParams(audit_fiscal_years=(2025, 2025), young_enterprise=PARAMS_2026.young_enterprise)
