"""Intake answers every error as a problem with a stable code, the field-level `errors` where it
always had them (so clients written against `errors` keep working), in Chinese or English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from intake.app import create_app
from intake.config import Settings
from intake_testkit import Intake, sample_application
from vouchers_shared import signing_key
from vouchers_shared.auth import Role
from vouchers_shared.clock import FixedClock
from vouchers_shared.problems import PROBLEM_MEDIA_TYPE, Problem
from vouchers_shared.program import load_program

OTHER_USCC = "91440300MA5G0AAAA4"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert (body["status"], body["code"]) == (status, code)
    return body


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "code"),
    [
        ("POST", "/v1/applications", b"x" * (1024 * 1024 + 1), 413, "BODY_TOO_LARGE"),
        ("GET", "/v1/nowhere", None, 404, "NOT_FOUND"),
        ("DELETE", "/v1/applications", None, 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_the_app_as_built_answers_problems(
    method: str, path: str, content: bytes | None, status: int, code: str
) -> None:
    transport = httpx.ASGITransport(app=create_app(Settings(vouchers_token_key=signing_key.generate())))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        response = await client.request(method, path, content=content)
    assert _problem(response, status, code)["instance"] == path


async def test_a_filing_of_broken_json_is_a_422_naming_the_character() -> None:
    intake = Intake()
    uscc = sample_application()["applicant"]["uscc"]
    response = await intake.request(
        "POST",
        "/v1/applications",
        "submitter",
        uscc,
        content=b'{"a": 1,',
        headers={"Content-Type": "application/json"},
    )
    [error] = _problem(response, 422, "VALIDATION_FAILED")["errors"]
    assert (error["field"], error["code"]) == ("", "json_invalid")
    assert "at character 8" in error["message"]
    assert intake.publisher.nothing


async def test_a_schema_violation_lists_every_field_in_errors() -> None:
    application = sample_application()
    application["contracts"][0]["amount_cny"] = 1200000
    del application["project"]["title"]
    response = await Intake().file(application)
    body = _problem(response, 422, "VALIDATION_FAILED")
    assert {e["field"] for e in body["errors"]} == {"contracts[0].amount_cny", "project.title"}


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        (
            None,
            "请求内容无效",
            "申报受理时间为 {opens} 至 {closes}（七(二)），现在是 2026-06-06T09:00:00+08:00",
        ),
        (
            "en-US,en;q=0.9",
            "Unprocessable content",
            "filing is open from {opens} to {closes} (七(二)); it is now 2026-06-06T09:00:00+08:00",
        ),
    ],
)
async def test_filing_outside_the_window_is_a_problem_with_its_code_said_in_the_language_asked_for(
    language: str | None, title: str, detail: str
) -> None:
    intake = Intake(FixedClock(datetime.fromisoformat("2026-06-06T09:00:00+08:00")))
    application = sample_application()
    headers = {"Accept-Language": language} if language else {}
    response = await intake.request(
        "POST",
        "/v1/applications",
        "submitter",
        application["applicant"]["uscc"],
        json=application,
        headers=headers,
    )
    body = _problem(response, 422, "FILING_WINDOW_CLOSED")
    params = load_program(2026)
    assert (body["title"], body["detail"]) == (
        title,
        detail.format(opens=params.filing_opens_at.isoformat(), closes=params.filing_closes_at.isoformat()),
    )
    assert [e["code"] for e in body["errors"]] == ["FILING_WINDOW_CLOSED"]


async def test_another_applicants_filing_is_a_403_naming_the_field() -> None:
    response = await Intake().post("/v1/applications", sample_application(), "submitter", OTHER_USCC)
    body = _problem(response, 403, "NOT_YOUR_APPLICANT")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("applicant.uscc", "NOT_YOUR_APPLICANT")]


@pytest.mark.parametrize(
    ("role", "path", "status", "code"),
    [
        (None, "/v1/applications", 401, "TOKEN_MISSING"),
        ("auditor", "/v1/refdata/providers", 403, "ROLE_NOT_ALLOWED"),
        ("operator", "/v1/refdata/no_such_kind", 404, "UNKNOWN_KIND"),
    ],
)
async def test_tokens_roles_and_unknown_kinds_are_problems(
    role: Role | None, path: str, status: int, code: str
) -> None:
    response = await Intake().request("POST", path, role, json=[])
    _problem(response, status, code)


async def test_an_unknown_application_is_a_404_and_listing_another_applicants_a_403() -> None:
    intake = Intake()
    unknown = await intake.request("GET", "/v1/applications/SZV2026-NOPE", "operator")
    foreign = await intake.request(
        "GET",
        "/v1/applications",
        "submitter",
        OTHER_USCC,
        params={"applicant_uscc": sample_application()["applicant"]["uscc"]},
    )
    _problem(unknown, 404, "APPLICATION_NOT_FOUND")
    _problem(foreign, 403, "NOT_YOUR_APPLICANT")
