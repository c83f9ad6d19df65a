"""POST /v1/applications refuses, with a 422 naming the field, a body that claims what cannot be
true at the filing instant or what no service can compute with; nothing is stored or published."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from intake_testkit import Intake, sample_application

Spoil = Callable[[dict[str, Any]], None]


def _registered_after_filing(app: dict[str, Any]) -> None:
    app["applicant"]["registered_on"] = "9999-06-01"


def _registered_before_1949(app: dict[str, Any]) -> None:
    app["applicant"]["registered_on"] = "1900-01-01"


def _signed_after_filing(app: dict[str, Any]) -> None:
    app["contracts"][0]["signed_on"] = "2026-05-21"


def _service_decades_away(app: dict[str, Any]) -> None:
    app["contracts"][1]["service_end"] = "2099-12-31"


def _service_ends_before_start(app: dict[str, Any]) -> None:
    app["contracts"][0].update(service_start="2026-03-01", service_end="2026-02-28")


def _amount_beyond_reason(app: dict[str, Any]) -> None:
    app["contracts"][0]["amount_cny"] = "9999999999999.99"


def _fiscal_year_not_ended(app: dict[str, Any]) -> None:
    (report,) = [m for m in app["materials"] if m["kind"] == "audit_report"]
    report["fiscal_year"] = 2026


def _certificate_from_the_future(app: dict[str, Any]) -> None:
    (certificate,) = [m for m in app["materials"] if m["kind"] == "tax_payment_certificate"]
    certificate["year"] = 2030


def _shareholders_over_100(app: dict[str, Any]) -> None:
    app["applicant"]["shareholders"] = [
        {"holder_id": f"h{i}", "kind": "person", "name": "股东", "pct": "55.00"} for i in range(2)
    ]


REFUSED: dict[str, tuple[Spoil, str, str]] = {
    "registered_after_filing": (
        _registered_after_filing,
        "applicant.registered_on",
        "REGISTERED_AFTER_FILING",
    ),
    "registered_before_1949": (_registered_before_1949, "applicant.registered_on", "DATE_OUT_OF_RANGE"),
    "signed_after_filing": (_signed_after_filing, "contracts[0].signed_on", "SIGNED_AFTER_FILING"),
    "service_decades_away": (_service_decades_away, "contracts[1].service_end", "DATE_OUT_OF_RANGE"),
    "service_ends_before_start": (
        _service_ends_before_start,
        "contracts[0].service_end",
        "SERVICE_ENDS_BEFORE_START",
    ),
    "amount_beyond_reason": (_amount_beyond_reason, "contracts[0].amount_cny", "AMOUNT_TOO_LARGE"),
    "fiscal_year_not_ended": (_fiscal_year_not_ended, "materials[6].fiscal_year", "FISCAL_YEAR_NOT_ENDED"),
    "certificate_from_the_future": (_certificate_from_the_future, "materials[7].year", "YEAR_AFTER_FILING"),
    "shareholders_over_100": (_shareholders_over_100, "applicant.shareholders", "SHAREHOLDINGS_OVER_100"),
}


async def test_a_plausible_application_is_filed_stored_and_published() -> None:
    intake = Intake()

    response = await intake.file(sample_application())

    assert response.status_code == 202, response.text
    assert list(intake.store.applications) == [response.json()["application_id"]]
    assert len(intake.publisher.raw) == 1


@pytest.mark.parametrize("case", list(REFUSED))
async def test_an_implausible_application_is_a_422_naming_its_field_and_nothing_is_filed(case: str) -> None:
    spoil, field, code = REFUSED[case]
    application = sample_application()
    spoil(application)
    intake = Intake()

    response = await intake.file(application)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": field, "code": code, "message": response.json()["errors"][0]["message"]}
    ]
    assert response.json()["errors"][0]["message"]
    assert intake.store.applications == {}
    assert intake.store.keys == {}
    assert (intake.publisher.raw, intake.publisher.published) == ([], [])


async def test_every_implausible_claim_of_a_body_is_listed() -> None:
    application = sample_application()
    for spoil in (_registered_after_filing, _signed_after_filing, _amount_beyond_reason):
        spoil(application)

    response = await Intake().file(application)

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("applicant.registered_on", "REGISTERED_AFTER_FILING"),
        ("contracts[0].signed_on", "SIGNED_AFTER_FILING"),
        ("contracts[0].amount_cny", "AMOUNT_TOO_LARGE"),
    ]
