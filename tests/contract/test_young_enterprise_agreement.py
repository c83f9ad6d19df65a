"""Eligibility and verification decide 注册时间未满一周年的企业 the same way, case by case.

Eligibility gives a young enterprise the higher rate (AMT-RATE, 三(一)2); verification lets it
give a capital verification report instead of an audit report (MAT-FINANCIAL, 五(六)). The two
must never disagree on who is young: a public institution is not a 企业, exactly one full year
before the guide's publication is not young, a 29 February registration comes of age on 28
February.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from eligibility.domain.amounts import deduction_rate
from verification.domain.financial import financial
from verification.domain.model import MaterialParams
from vouchers_shared.application import Application
from vouchers_shared.program import ProgramParams, load_program

from tests.support.samples import sample

P2026 = load_program(2026)  # guide published 2026-04-30


def published_on(day: date) -> ProgramParams:
    return P2026.model_copy(update={"guide_published_on": day})


CASES: list[tuple[str, bool, str, ProgramParams, bool]] = [
    ("enterprise", False, "2025-04-29", P2026, False),
    ("enterprise", False, "2025-04-30", P2026, False),  # exactly one full year: standard
    ("enterprise", False, "2025-05-01", P2026, True),
    ("enterprise", False, "2026-04-30", P2026, True),
    ("enterprise", False, "2019-06-18", P2026, False),
    ("enterprise", True, "2025-09-01", P2026, False),  # a public institution is no 企业
    ("enterprise", True, "2025-04-30", P2026, False),
    ("university", False, "2025-12-01", P2026, False),
    ("research_institute", True, "2025-09-01", P2026, False),
    # 2024-02-29 comes of age on 2025-02-28: not young on a 2025-02-28 publication, young the
    # day before it.
    ("enterprise", False, "2024-02-29", published_on(date(2025, 2, 28)), False),
    ("enterprise", False, "2024-02-29", published_on(date(2025, 2, 27)), True),
    ("enterprise", False, "2024-03-01", published_on(date(2025, 2, 28)), True),
    # 2027-02-28 comes of age on 2028-02-28, the day before a 2028-02-29 publication.
    ("enterprise", False, "2027-02-28", published_on(date(2028, 2, 29)), False),
    ("enterprise", False, "2027-03-01", published_on(date(2028, 2, 29)), True),
]


def application(org_type: str, public_institution: bool, registered_on: str) -> Application:
    """The approvable sample, filed with a capital verification report and no audit report."""
    data: dict[str, Any] = copy.deepcopy(sample("approvable")["application"])
    data["applicant"].update(
        org_type=org_type, public_institution=public_institution, registered_on=registered_on
    )
    data["materials"] = [m for m in data["materials"] if m["kind"] != "audit_report"]
    data["materials"].append({"kind": "capital_verification_report", "sha256": "c" * 64})
    return Application.model_validate(data)


@pytest.mark.parametrize(("org_type", "public_institution", "registered_on", "params", "young"), CASES)
def test_eligibility_and_verification_agree_on_who_is_a_young_enterprise(
    org_type: str,
    public_institution: bool,
    registered_on: str,
    params: ProgramParams,
    young: bool,
) -> None:
    app = application(org_type, public_institution, registered_on)

    rate = deduction_rate(app, params).observed
    capital_verification = financial(app, MaterialParams.from_program(params)).result

    expected_rate = params.young_enterprise_rate if young else params.standard_rate
    assert (rate, capital_verification) == (f"{expected_rate:.2f}", "pass" if young else "fail")
