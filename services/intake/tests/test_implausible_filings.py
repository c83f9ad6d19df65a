"""POST /v1/applications refuses, with a 422 naming the field, a body that claims what cannot be
true at the filing instant or what no service can compute with; nothing is stored or published."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from intake.api import ApiDeps, build_router
from intake.http_errors import install_error_handlers
from intake.refdata_loader import RefdataLoader
from intake.submission import Submissions
from vouchers_shared.auth import TokenService
from vouchers_shared.clock import FixedClock
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.program import load_program

SAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "sample" / "applications" / "approvable.json"
FILED_AT = datetime.fromisoformat("2026-05-20T10:00:00+08:00")
Spoil = Callable[[dict[str, Any]], None]


class FakeStore:
    """Intake's documents in memory: what the filing path writes and reads."""

    def __init__(self) -> None:
        self.applications: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}

    async def key_record(self, scope_key: str) -> dict[str, Any] | None:
        return self.keys.get(scope_key)

    async def claim_key(self, scope_key: str, body_hash: str, application_id: str) -> dict[str, Any]:
        return self.keys.setdefault(scope_key, {"_id": scope_key, "body_hash": body_hash,
                                                "application_id": application_id})

    async def insert_application(self, document: dict[str, Any]) -> bool:
        if document["_id"] in self.applications:
            return False
        self.applications[document["_id"]] = document
        return True

    async def application(self, application_id: str) -> dict[str, Any] | None:
        return self.applications.get(application_id)

    async def mark_published(self, application_id: str, at: datetime) -> None:
        self.applications[application_id]["outbox_pending"] = False


class FakePublisher:
    def __init__(self) -> None:
        self.raw: list[str] = []
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.raw.append(topic)


class Intake:
    def __init__(self) -> None:
        self.store, self.publisher = FakeStore(), FakePublisher()
        self.tokens = TokenService("test-key-of-at-least-thirty-two-bytes")
        clock = FixedClock(FILED_AT)
        submissions = Submissions(self.store, self.publisher, clock, load_program(2026))  # type: ignore[arg-type]
        deps = ApiDeps(self.store, submissions, RefdataLoader(self.publisher),  # type: ignore[arg-type]
                       self.tokens, clock)
        self.app = FastAPI()
        self.app.include_router(build_router(lambda: deps, local_mode=False))
        install_error_handlers(self.app)

    async def file(self, application: dict[str, Any]) -> httpx.Response:
        token = self.tokens.issue("submitter", application["applicant"]["uscc"])
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            return await client.post("/v1/applications", json=application)


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text("utf-8"))["application"]
    return copy.deepcopy(data)


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
        {"holder_id": f"h{i}", "kind": "person", "name": "股东", "pct": "55.00"} for i in range(2)]


REFUSED: dict[str, tuple[Spoil, str, str]] = {
    "registered_after_filing": (_registered_after_filing, "applicant.registered_on",
                                "REGISTERED_AFTER_FILING"),
    "registered_before_1949": (_registered_before_1949, "applicant.registered_on", "DATE_OUT_OF_RANGE"),
    "signed_after_filing": (_signed_after_filing, "contracts[0].signed_on", "SIGNED_AFTER_FILING"),
    "service_decades_away": (_service_decades_away, "contracts[1].service_end", "DATE_OUT_OF_RANGE"),
    "service_ends_before_start": (_service_ends_before_start, "contracts[0].service_end",
                                  "SERVICE_ENDS_BEFORE_START"),
    "amount_beyond_reason": (_amount_beyond_reason, "contracts[0].amount_cny", "AMOUNT_TOO_LARGE"),
    "fiscal_year_not_ended": (_fiscal_year_not_ended, "materials[6].fiscal_year", "FISCAL_YEAR_NOT_ENDED"),
    "certificate_from_the_future": (_certificate_from_the_future, "materials[7].year", "YEAR_AFTER_FILING"),
    "shareholders_over_100": (_shareholders_over_100, "applicant.shareholders", "SHAREHOLDINGS_OVER_100"),
}


async def test_a_plausible_application_is_filed_stored_and_published() -> None:
    intake = Intake()

    response = await intake.file(sample())

    assert response.status_code == 202, response.text
    assert list(intake.store.applications) == [response.json()["application_id"]]
    assert len(intake.publisher.raw) == 1


@pytest.mark.parametrize("case", list(REFUSED))
async def test_an_implausible_application_is_a_422_naming_its_field_and_nothing_is_filed(case: str) -> None:
    spoil, field, code = REFUSED[case]
    application = sample()
    spoil(application)
    intake = Intake()

    response = await intake.file(application)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": field, "code": code, "message": response.json()["errors"][0]["message"]}]
    assert response.json()["errors"][0]["message"]
    assert intake.store.applications == {}
    assert intake.store.keys == {}
    assert (intake.publisher.raw, intake.publisher.published) == ([], [])


async def test_every_implausible_claim_of_a_body_is_listed() -> None:
    application = sample()
    for spoil in (_registered_after_filing, _signed_after_filing, _amount_beyond_reason):
        spoil(application)

    response = await Intake().file(application)

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("applicant.registered_on", "REGISTERED_AFTER_FILING"),
        ("contracts[0].signed_on", "SIGNED_AFTER_FILING"),
        ("contracts[0].amount_cny", "AMOUNT_TOO_LARGE"),
    ]
