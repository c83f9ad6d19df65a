"""Filing at intake's front door against the real Kafka and store: what is stored and published
for a valid application, what each invalid one is told, the filing window, idempotency."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import suitectl
from vouchers_shared import topics
from vouchers_shared.store import opened

from tests.support.infra import Infra
from tests.support.intake import (
    InProcessIntake,
    SettableClock,
    applicant,
    body_of,
    headers_of,
    intake_db,
    records_about,
    running_intake,
    wait_until,
)
from tests.support.keys import TOKEN_KEY
from tests.support.samples import application_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
OPEN = "2026-05-20T10:00:00+08:00"


@pytest.fixture(scope="module")
def clock() -> SettableClock:
    return SettableClock(OPEN)


@pytest.fixture(scope="module")
async def intake(infra: Infra, clock: SettableClock) -> AsyncIterator[InProcessIntake]:
    async with running_intake(infra, clock) as running:
        yield running


@pytest.fixture
def program_time(clock: SettableClock) -> Iterator[SettableClock]:
    """The module's clock, put back inside the window after the test."""
    try:
        yield clock
    finally:
        clock.set(OPEN)


async def file(
    intake: InProcessIntake, application: dict[str, Any], key: str | None = None, uscc: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    async with intake.client("submitter", uscc or application["applicant"]["uscc"]) as client:
        return await client.post("/v1/applications", json=application, headers=headers)


async def stored_for(infra: Infra, uscc: str) -> list[dict[str, Any]]:
    async with intake_db(infra) as db:
        return [doc async for doc in db["applications"].find({"applicant_uscc": uscc})]


async def published_for(infra: Infra, uscc: str) -> int:
    return len(await records_about(infra, topics.APPLICATIONS, key=uscc))


# --- a valid application ---------------------------------------------------------------------


async def test_a_valid_application_is_stored_once_and_published_once_as_a_cloudevent(
    infra: Infra, intake: InProcessIntake
) -> None:
    uscc = applicant(1)

    response = await file(intake, application_for(uscc))

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "received"
    application_id = answer["application_id"]
    stored = await stored_for(infra, uscc)
    assert [doc["_id"] for doc in stored] == [application_id]

    async def marker_gone() -> bool:  # published: its marker goes with the next flush
        async with intake_db(infra) as db:
            return await db["outbox_markers"].find_one({"_id": application_id}) is None

    await wait_until("the published filing's outbox marker to go", marker_gone, within=5.0, every=0.05)
    assert opened(stored[0])["application"]["applicant"]["uscc"] == uscc

    records = await records_about(infra, topics.APPLICATIONS, subject=application_id)
    assert len(records) == 1
    record = records[0]
    ce = headers_of(record)
    assert ce["ce_id"]
    assert ce["ce_type"] == "application.submitted"
    assert ce["ce_source"] == "/vouchers/intake"
    assert ce["ce_subject"] == application_id
    assert ce["ce_specversion"] == "1.0"
    assert datetime.fromisoformat(ce["ce_time"]) == datetime.fromisoformat(OPEN)
    assert record.key == uscc.encode()
    body = body_of(record)
    assert body["application_id"] == application_id
    assert body["applicant_uscc"] == uscc
    assert body["application"]["contracts"][0]["amount_cny"] == "800000.00"
    assert await published_for(infra, uscc) == 1


async def test_a_filed_application_reads_as_received_at_once(intake: InProcessIntake) -> None:
    uscc = applicant(2)
    application_id = (await file(intake, application_for(uscc))).json()["application_id"]

    async with intake.client("submitter", uscc) as client:
        view = (await client.get(f"/v1/applications/{application_id}")).json()

    assert view["application_id"] == application_id
    assert view["applicant_uscc"] == uscc
    assert view["status"] in {"received", "checking"}
    assert view["timeline"][0] == {"at": OPEN, "event": "received"}


# --- invalid bodies ----------------------------------------------------------------------------


def _bad_check_digit(app: dict[str, Any]) -> None:
    uscc = app["applicant"]["uscc"]
    app["applicant"]["uscc"] = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")


def _unknown_field(app: dict[str, Any]) -> None:
    app["applicant"]["nickname"] = "小甲"


def _negative_amount(app: dict[str, Any]) -> None:
    app["contracts"][0]["amount_cny"] = "-800000.00"


def _float_money(app: dict[str, Any]) -> None:
    app["contracts"][0]["amount_cny"] = 800000.0


INVALID: dict[str, tuple[int, Callable[[dict[str, Any]], None], str, str | None]] = {
    "bad_check_digit": (10, _bad_check_digit, "applicant.uscc", None),
    "unknown_field": (11, _unknown_field, "applicant.nickname", "extra_forbidden"),
    "negative_amount": (12, _negative_amount, "contracts[0].amount_cny", None),
    "float_money": (13, _float_money, "contracts[0].amount_cny", None),
}


@pytest.mark.parametrize("case", list(INVALID))
async def test_an_invalid_body_is_a_422_naming_its_field_and_nothing_is_filed(
    infra: Infra, intake: InProcessIntake, case: str
) -> None:
    serial, spoil, field, code = INVALID[case]
    uscc = applicant(serial)
    application = application_for(uscc)
    spoil(application)

    response = await file(intake, application, uscc=uscc)

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert code is None or errors[0]["code"] == code
    assert all(e["message"] for e in errors)
    assert await stored_for(infra, uscc) == []
    assert await published_for(infra, uscc) == 0


async def test_every_problem_of_a_body_is_listed(infra: Infra, intake: InProcessIntake) -> None:
    uscc = applicant(14)
    application = application_for(uscc)
    for spoil in (_bad_check_digit, _unknown_field, _negative_amount):
        spoil(application)

    response = await file(intake, application, uscc=uscc)

    assert response.status_code == 422
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == ["applicant.nickname", "applicant.uscc", "contracts[0].amount_cny"]
    assert await stored_for(infra, uscc) == []


async def test_dates_that_cannot_be_true_at_filing_are_a_422_and_nothing_is_filed(
    infra: Infra, intake: InProcessIntake
) -> None:
    uscc = applicant(17)
    application = application_for(uscc)
    application["applicant"]["registered_on"] = "9999-06-01"
    application["contracts"][0]["signed_on"] = "2026-05-21"  # the day after filing

    response = await file(intake, application, key="k-17")

    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("applicant.registered_on", "REGISTERED_AFTER_FILING"),
        ("contracts[0].signed_on", "SIGNED_AFTER_FILING"),
    ]
    assert await stored_for(infra, uscc) == []
    assert await published_for(infra, uscc) == 0
    async with intake_db(infra) as db:
        assert await db["idempotency_keys"].find_one({"_id": f"{uscc}:k-17"}) is None


async def test_broken_json_is_a_422(infra: Infra, intake: InProcessIntake) -> None:
    uscc = applicant(15)
    text = json.dumps(application_for(uscc), ensure_ascii=False)[:-40]

    async with intake.client("submitter", uscc) as client:
        response = await client.post(
            "/v1/applications", content=text.encode(), headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "json_invalid"
    assert error["field"] == ""
    assert await stored_for(infra, uscc) == []
    assert await published_for(infra, uscc) == 0


async def test_a_two_mebibyte_body_is_a_413(infra: Infra, intake: InProcessIntake) -> None:
    uscc = applicant(16)
    application = application_for(uscc)
    application["contracts"][0]["description"] = "算" * (700 * 1024)  # 3 bytes each in UTF-8

    async with intake.client("submitter", uscc) as client:
        response = await client.post("/v1/applications", json=application)

    assert len(response.request.content) > 2 * 1024 * 1024
    assert response.status_code == 413
    assert response.json()["code"] == "BODY_TOO_LARGE"
    assert await stored_for(infra, uscc) == []
    assert await published_for(infra, uscc) == 0


# --- the filing window (七(二)): both ends included ----------------------------------------


@pytest.mark.parametrize(
    ("serial", "instant", "accepted"),
    [
        (20, "2026-05-05T23:59:59+08:00", False),
        (21, "2026-05-06T00:00:00+08:00", True),
        (22, "2026-06-05T18:00:00+08:00", True),
        (23, "2026-06-05T18:00:01+08:00", False),
    ],
)
async def test_the_filing_window_includes_both_ends_and_nothing_outside(
    infra: Infra,
    intake: InProcessIntake,
    program_time: SettableClock,
    serial: int,
    instant: str,
    accepted: bool,
) -> None:
    uscc = applicant(serial)
    program_time.set(instant)

    response = await file(intake, application_for(uscc))

    stored = await stored_for(infra, uscc)
    if accepted:
        assert response.status_code == 202, response.text
        assert [doc["submitted_at"] for doc in stored] == [datetime.fromisoformat(instant)]
        assert await published_for(infra, uscc) == 1
    else:
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["code"] == "FILING_WINDOW_CLOSED"
        assert stored == []
        assert await published_for(infra, uscc) == 0


@pytest.fixture(scope="module")
def closed_intake(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Intake as a process whose VOUCHER_CLOCK starts a second after the window closed."""
    (port,) = suitectl.free_ports(1)
    log: Path = tmp_path_factory.mktemp("closed-intake") / "intake.log"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "MONGODB_URL": infra.mongodb_url,
        "VOUCHER_CLOCK": "2026-06-05T18:00:01+08:00",
        "INTAKE_HTTP_PORT": str(port),
        "VOUCHERS_TOKEN_KEY": TOKEN_KEY,
    }
    proc = suitectl.start_service("intake", env, log)
    try:
        suitectl.wait_ready(proc, timeout=120.0)
        yield f"http://127.0.0.1:{port}"
    finally:
        suitectl.stop(proc, 15.0)


async def test_a_process_started_after_the_window_closed_refuses_filing(
    infra: Infra, intake: InProcessIntake, closed_intake: str
) -> None:
    uscc = applicant(24)
    token = intake.tokens.issue("submitter", uscc)
    async with httpx.AsyncClient(
        base_url=closed_intake, timeout=30.0, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        response = await client.post("/v1/applications", json=application_for(uscc))
        too_big = application_for(uscc)
        too_big["project"]["title"] = "x" * (2 * 1024 * 1024)
        big = await client.post("/v1/applications", json=too_big)

    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["FILING_WINDOW_CLOSED"]
    assert "2026-06-05T18:00:00+08:00" in response.json()["errors"][0]["message"]
    assert big.status_code == 413  # over real HTTP: refused on its Content-Length
    assert await stored_for(infra, uscc) == []
    assert await published_for(infra, uscc) == 0


# --- Idempotency-Key ---------------------------------------------------------------------------


async def test_the_same_key_and_body_twice_files_one_application_published_once(
    infra: Infra, intake: InProcessIntake
) -> None:
    uscc = applicant(30)
    application = application_for(uscc)

    first = await file(intake, application, key="k-30")
    second = await file(intake, copy.deepcopy(application), key="k-30")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json() == second.json()
    application_id = first.json()["application_id"]
    assert [doc["_id"] for doc in await stored_for(infra, uscc)] == [application_id]
    assert len(await records_about(infra, topics.APPLICATIONS, subject=application_id)) == 1
    assert await published_for(infra, uscc) == 1


async def test_the_same_key_with_another_body_is_a_409(infra: Infra, intake: InProcessIntake) -> None:
    uscc = applicant(31)
    application = application_for(uscc)
    first = await file(intake, application, key="k-31")
    other = copy.deepcopy(application)
    other["project"]["title"] = "另一个项目"

    conflict = await file(intake, other, key="k-31")

    assert first.status_code == 202
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(await stored_for(infra, uscc)) == 1
    assert await published_for(infra, uscc) == 1


async def test_the_same_money_written_differently_is_the_same_body(
    infra: Infra, intake: InProcessIntake
) -> None:
    uscc = applicant(32)
    application = application_for(uscc)
    first = await file(intake, application, key="k-32")
    same = copy.deepcopy(application)
    same["contracts"][0]["amount_cny"] = "800000"

    again = await file(intake, same, key="k-32")

    assert again.status_code == 202
    assert again.json() == first.json()
    assert len(await stored_for(infra, uscc)) == 1


async def test_concurrent_requests_with_one_key_file_one_application(
    infra: Infra, intake: InProcessIntake
) -> None:
    uscc = applicant(33)
    application = application_for(uscc)

    responses = await asyncio.gather(*(file(intake, application, key="k-33") for _ in range(6)))

    assert {r.status_code for r in responses} == {202}
    ids = {r.json()["application_id"] for r in responses}
    assert len(ids) == 1
    assert [doc["_id"] for doc in await stored_for(infra, uscc)] == list(ids)
    assert await published_for(infra, uscc) == 1


async def test_a_key_replays_its_first_answer_after_the_window_closed(
    infra: Infra, intake: InProcessIntake, program_time: SettableClock
) -> None:
    uscc = applicant(34)
    application = application_for(uscc)
    first = await file(intake, application, key="k-34")
    program_time.set("2026-06-06T09:00:00+08:00")

    again = await file(intake, application, key="k-34")
    fresh = await file(intake, application, key="k-34-other")

    assert again.status_code == 202
    assert again.json() == first.json()
    assert fresh.status_code == 422
    assert len(await stored_for(infra, uscc)) == 1


async def test_keys_belong_to_their_applicant(infra: Infra, intake: InProcessIntake) -> None:
    one, two = applicant(35), applicant(36)

    first = await file(intake, application_for(one), key="shared-key")
    second = await file(intake, application_for(two), key="shared-key")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["application_id"] != second.json()["application_id"]
    assert len(await stored_for(infra, two)) == 1


# --- OpenAPI -----------------------------------------------------------------------------------


async def test_the_openapi_document_takes_the_application_as_the_filing_body(
    intake: InProcessIntake,
) -> None:
    async with intake.client(None) as client:
        spec = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    body = spec["paths"]["/v1/applications"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Application"}
    schemas = spec["components"]["schemas"]
    assert set(schemas["Application"]["required"]) >= {
        "program_year",
        "applicant",
        "project",
        "contracts",
        "declarations",
    }
    assert schemas["Application"]["additionalProperties"] is False
    amount = schemas["Contract"]["properties"]["amount_cny"]
    assert amount["type"] == "string"
    assert "pattern" in amount
    answers = spec["paths"]["/v1/applications"]["post"]["responses"]
    assert "202" in answers
    assert answers["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert spec["paths"]["/v1/applications"]["post"]["security"] == [{"bearer": []}]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
