"""What an application may claim at its filing instant: dates that can be true, figures that compute."""

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from vouchers_shared.application import Application
from vouchers_shared.plausibility import implausible

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "sample" / "applications" / "approvable.json"
FILED_AT = datetime.fromisoformat("2026-05-20T10:00:00+08:00")
Change = Callable[[dict[str, Any]], None]


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text("utf-8"))["application"]
    return copy.deepcopy(data)


def problems_of(change: Change, filed_at: datetime = FILED_AT) -> list[tuple[str, str]]:
    app = sample()
    change(app)
    return [(p.field, p.code) for p in implausible(Application.model_validate(app), filed_at)]


def registered(on: str) -> Change:
    return lambda app: app["applicant"].update(registered_on=on)


def contract(**fields: str) -> Change:
    return lambda app: app["contracts"][0].update(fields)


def material(kind: str, **fields: int) -> Change:
    def change(app: dict[str, Any]) -> None:
        (m,) = [m for m in app["materials"] if m["kind"] == kind]
        m.update(fields)

    return change


def holders(*pcts: str) -> Change:
    return lambda app: app["applicant"].update(
        shareholders=[
            {"holder_id": f"h{i}", "kind": "person", "name": "股东", "pct": pct} for i, pct in enumerate(pcts)
        ]
    )


def test_the_sample_application_is_plausible() -> None:
    assert problems_of(lambda app: None) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (registered("2026-05-20"), []),  # registered on the filing day itself
        (registered("2026-05-21"), [("applicant.registered_on", "REGISTERED_AFTER_FILING")]),
        (registered("2026-05-01"), []),  # after the guide came out, before filing: young, not false
        (registered("9999-06-01"), [("applicant.registered_on", "REGISTERED_AFTER_FILING")]),
        (registered("9999-12-31"), [("applicant.registered_on", "REGISTERED_AFTER_FILING")]),
        (registered("1949-10-01"), []),
        (registered("1949-09-30"), [("applicant.registered_on", "DATE_OUT_OF_RANGE")]),
        (registered("0001-01-01"), [("applicant.registered_on", "DATE_OUT_OF_RANGE")]),
    ],
)
def test_a_registration_date_lies_between_1949_10_01_and_the_filing_day(
    change: Change, expected: list[tuple[str, str]]
) -> None:
    assert problems_of(change) == expected


def test_the_filing_day_is_the_day_in_shanghai() -> None:
    just_after_midnight = datetime.fromisoformat("2026-05-19T16:30:00+00:00")  # 00:30 in Shenzhen

    assert problems_of(registered("2026-05-20"), just_after_midnight) == []
    assert problems_of(registered("2026-05-21"), just_after_midnight) == [
        ("applicant.registered_on", "REGISTERED_AFTER_FILING")
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (contract(signed_on="2026-05-20"), []),
        (contract(signed_on="2026-05-21"), [("contracts[0].signed_on", "SIGNED_AFTER_FILING")]),
        (contract(signed_on="9999-01-01"), [("contracts[0].signed_on", "SIGNED_AFTER_FILING")]),
        (contract(signed_on="2016-01-01", service_start="2016-01-01"), []),
        (contract(signed_on="2015-12-31"), [("contracts[0].signed_on", "DATE_OUT_OF_RANGE")]),
        (contract(service_start="2015-12-31"), [("contracts[0].service_start", "DATE_OUT_OF_RANGE")]),
        (contract(service_end="2036-12-31"), []),
        (contract(service_end="2037-01-01"), [("contracts[0].service_end", "DATE_OUT_OF_RANGE")]),
        (contract(service_end="9999-12-31"), [("contracts[0].service_end", "DATE_OUT_OF_RANGE")]),
        (
            contract(service_start="0001-01-01", service_end="9999-12-31"),
            [
                ("contracts[0].service_start", "DATE_OUT_OF_RANGE"),
                ("contracts[0].service_end", "DATE_OUT_OF_RANGE"),
            ],
        ),
    ],
)
def test_contract_dates_lie_within_ten_years_of_the_program_year_and_signing_before_filing(
    change: Change, expected: list[tuple[str, str]]
) -> None:
    assert problems_of(change) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-02-01", "2026-02-01", []),
        ("2026-02-01", "2026-01-31", [("contracts[0].service_end", "SERVICE_ENDS_BEFORE_START")]),
        ("2030-01-01", "2026-03-01", [("contracts[0].service_end", "SERVICE_ENDS_BEFORE_START")]),
    ],
)
def test_a_service_does_not_end_before_it_starts(
    start: str, end: str, expected: list[tuple[str, str]]
) -> None:
    assert problems_of(contract(service_start=start, service_end=end)) == expected


@pytest.mark.parametrize(
    ("field", "amount", "refused"),
    [
        ("amount_cny", "10000000000.00", False),
        ("amount_cny", "10000000000.01", True),
        ("amount_cny", "9999999999999.99", True),
        ("other_public_funding_cny", "10000000000.00", False),
        ("other_public_funding_cny", "10000000000.01", True),
    ],
)
def test_amounts_stop_at_ten_billion_yuan(field: str, amount: str, refused: bool) -> None:
    expected = [(f"contracts[0].{field}", "AMOUNT_TOO_LARGE")] if refused else []

    assert problems_of(contract(**{field: amount})) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (material("audit_report", fiscal_year=2025), []),
        (material("audit_report", fiscal_year=2026), [("materials[6].fiscal_year", "FISCAL_YEAR_NOT_ENDED")]),
        (material("audit_report", fiscal_year=2100), [("materials[6].fiscal_year", "FISCAL_YEAR_NOT_ENDED")]),
        (material("tax_payment_certificate", year=2026), []),
        (material("tax_payment_certificate", year=2027), [("materials[7].year", "YEAR_AFTER_FILING")]),
    ],
)
def test_a_material_covers_a_year_already_there(change: Change, expected: list[tuple[str, str]]) -> None:
    assert problems_of(change) == expected


@pytest.mark.parametrize(
    ("pcts", "refused"),
    [(("60.00", "40.00"), False), (("60.00", "40.0001"), True), (("100",), False), (("70", "70"), True)],
)
def test_declared_shareholders_hold_at_most_100_percent(pcts: tuple[str, ...], refused: bool) -> None:
    expected = [("applicant.shareholders", "SHAREHOLDINGS_OVER_100")] if refused else []

    assert problems_of(holders(*pcts)) == expected


def test_every_problem_is_listed_with_its_field() -> None:
    def spoil(app: dict[str, Any]) -> None:
        registered("2027-01-01")(app)
        app["contracts"][1].update(signed_on="2026-06-01", amount_cny="20000000000.00")

    assert problems_of(spoil) == [
        ("applicant.registered_on", "REGISTERED_AFTER_FILING"),
        ("contracts[1].signed_on", "SIGNED_AFTER_FILING"),
        ("contracts[1].amount_cny", "AMOUNT_TOO_LARGE"),
    ]


def test_each_refusal_says_what_was_claimed_and_against_what() -> None:
    app = sample()
    registered("9999-06-01")(app)

    (problem,) = implausible(Application.model_validate(app), FILED_AT)

    assert "9999-06-01" in problem.message
    assert "2026-05-20" in problem.message
    assert problem.as_error() == {
        "field": "applicant.registered_on",
        "code": "REGISTERED_AFTER_FILING",
        "message": problem.message,
    }


def test_a_filing_instant_without_its_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        implausible(Application.model_validate(sample()), datetime(2026, 5, 20, 10))
