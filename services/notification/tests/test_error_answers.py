"""Notification answers every refusal as a problem with a stable code, said in Chinese unless the
client prefers English: unknown cases and notices, refusals of the case's status, a notice period
whose working days are not known (with its `year`), invalid bodies with their `errors`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from notice_world import NoticeWorld, notice_world
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.problems import PROBLEM_MEDIA_TYPE, Problem


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert (body["status"], body["code"]) == (status, code)
    return body


async def _as_operator(world: NoticeWorld, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with world.client(world.app(), "operator") as operator:
        return await operator.request(method, path, **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/v1/applications/APP-NONE/review", {"decision": "pass", "note": "x"}, 404, "NOT_FOUND"),
        ("GET", "/v1/cases/APP-NONE", None, 404, "NOT_FOUND"),
        ("POST", "/v1/objections/OBJ-NONE/resolve", {"upheld": True, "note": "x"}, 404, "NOT_FOUND"),
        (
            "POST",
            "/v1/applications/APP-2026-0001/review",
            {"decision": "pass", "note": "x"},
            409,
            "ILLEGAL_TRANSITION",
        ),
        ("POST", "/v1/notices", None, 409, "NOTHING_TO_NOTICE"),
        (
            "POST",
            "/v1/objections/dismiss",
            {"application_id": "APP-2026-0001", "note": "x"},
            409,
            "NO_OPEN_OBJECTION",
        ),
        ("GET", "/notices/GS-NONE", None, 404, "NOTICE_NOT_FOUND"),
        ("GET", "/v1/cases?limit=0", None, 422, "VALIDATION_FAILED"),
    ],
)
async def test_each_refusal_is_a_problem_with_its_code(
    method: str, path: str, body: dict[str, Any] | None, status: int, code: str
) -> None:
    world = await notice_world(1)
    response = await _as_operator(world, method, path, json=body)
    assert _problem(response, status, code)["instance"] == path.split("?")[0]


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        (
            None,
            "申请当前状态下不能进行此操作",
            "申请 APP-2026-0001 当前状态为 in_public_notice，不能通过复核；仅在 needs_review 状态下可以",
        ),
        (
            "en;q=0.9, zh;q=0.8",
            "Not allowed in the application's status",
            "application APP-2026-0001: cannot pass review while in_public_notice; "
            "allowed only from needs_review",
        ),
    ],
)
async def test_a_refusal_is_said_in_the_language_asked_for_its_code_never(
    language: str | None, title: str, detail: str
) -> None:
    world = await notice_world(1)
    headers = {"Accept-Language": language} if language else {}
    response = await _as_operator(
        world,
        "POST",
        "/v1/applications/APP-2026-0001/review",
        json={"decision": "pass", "note": "x"},
        headers=headers,
    )
    body = _problem(response, 409, "ILLEGAL_TRANSITION")
    assert (body["title"], body["detail"]) == (title, detail)


async def test_a_notice_period_into_a_year_of_unknown_working_days_is_a_422_naming_the_year() -> None:
    world = await notice_world(1)
    world.clock.at = datetime(2027, 12, 27, 10, 0, tzinfo=SHANGHAI)
    response = await _as_operator(world, "POST", "/v1/notices", headers={"Accept-Language": "en"})
    body = _problem(response, 422, "WORKING_DAY_CALENDAR_UNKNOWN")
    assert body["year"] in (2027, 2028)
    assert str(body["year"]) in body["detail"]
