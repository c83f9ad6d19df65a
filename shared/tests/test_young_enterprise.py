"""注册时间未满一周年的企业 (三(一)2): the one test of a young enterprise, boundaries included."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vouchers_shared.application import Applicant
from vouchers_shared.program import load_program
from vouchers_shared.young_enterprise import YoungEnterprise, anniversary

P = load_program(2026)
YOUNG_2026 = YoungEnterprise.of(P)  # published 2026-04-30, one year


def applicant(
    org_type: str = "enterprise", registered_on: str = "2025-09-01", public_institution: bool = False
) -> Applicant:
    data: dict[str, Any] = {
        "name": "深圳市示例科技有限公司",
        "uscc": "91440305MA5K00010T",
        "org_type": org_type,
        "independent_legal_person": True,
        "public_institution": public_institution,
        "registered_on": registered_on,
        "registered_district": "南山区",
        "legal_representative": {"person_id": "lr-1", "name": "张三"},
        "contact": {"name": "联系人", "email": "c@example.cn", "mobile": "13800000000"},
    }
    return Applicant.model_validate(data)


def test_the_2026_test_comes_from_the_program_parameters() -> None:
    assert YoungEnterprise.of(P) == YoungEnterprise(date(2026, 4, 30), max_age_years=1)
    assert YOUNG_2026.first_young_registration == date(2025, 5, 1)


@pytest.mark.parametrize(
    ("org_type", "public_institution", "registered_on", "young"),
    [
        ("enterprise", False, "2025-04-29", False),
        ("enterprise", False, "2025-04-30", False),  # exactly one full year on 2026-04-30
        ("enterprise", False, "2025-05-01", True),
        ("enterprise", False, "2026-04-30", True),
        ("enterprise", False, "2026-05-10", True),  # registered after the guide came out
        ("enterprise", False, "2019-06-18", False),
        # A public institution (事业单位) is not a 企业, whatever org_type it gave.
        ("enterprise", True, "2025-09-01", False),
        ("enterprise", True, "2025-04-30", False),
        ("university", False, "2025-12-01", False),
        ("research_institute", True, "2025-05-01", False),
        ("other", False, "2025-09-01", False),
    ],
)
def test_only_an_enterprise_that_is_no_public_institution_and_under_a_year_old_is_young(
    org_type: str, public_institution: bool, registered_on: str, young: bool
) -> None:
    assert YOUNG_2026.includes(applicant(org_type, registered_on, public_institution)) is young


@pytest.mark.parametrize(
    ("published", "years", "first_young"),
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
def test_the_first_young_registration_day_is_the_first_short_of_the_full_age(
    published: date, years: int, first_young: date
) -> None:
    rule = YoungEnterprise(published, years)
    assert rule.first_young_registration == first_young
    assert rule.registered_young(first_young)
    assert not rule.registered_young(first_young - timedelta(days=1))


@pytest.mark.parametrize(
    ("start", "years", "anniversary_on"),
    [
        (date(2025, 4, 30), 1, date(2026, 4, 30)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
    ],
)
def test_a_29_february_registration_comes_of_age_on_28_february(
    start: date, years: int, anniversary_on: date
) -> None:
    assert anniversary(start, years) == anniversary_on


@given(
    st.dates(date(2001, 1, 1), date(2099, 12, 31)),
    st.integers(1, 5),
    st.dates(date(1990, 1, 1), date(2100, 12, 31)),
)
def test_young_means_registered_on_or_after_the_first_young_registration_day(
    published: date, years: int, registered_on: date
) -> None:
    rule = YoungEnterprise(published, years)
    assert rule.registered_young(registered_on) is (registered_on >= rule.first_young_registration)
