"""Every service answers every error as an RFC 9457 problem with a stable code, in Chinese unless
the client prefers English, and says so in its OpenAPI document; an unexpected failure is a
500 that tells nothing of its cause."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel
from vouchers_shared.errors import DomainRuleError
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.problem_answers import field_path, install_problem_answers
from vouchers_shared.problem_docs import problem_responses
from vouchers_shared.problems import (
    PROBLEM_MEDIA_TYPE,
    Bilingual,
    Problem,
    ProblemError,
    preferred_language,
    rate_limited,
)
from vouchers_shared.runtime import Runtime, service_app
from vouchers_shared.settings import CommonSettings


class Titled(BaseModel):
    title: str
    pages: int


class LateForTheBus(DomainRuleError):
    code = "BUS_GONE"
    http_status = 409
    title_zh, title_en = "车已开走", "The bus has left"

    def __init__(self) -> None:
        super().__init__("the bus left at 09:00")
        self.message_zh = "车已于 09:00 开走"


class Unsaid(DomainRuleError):
    """A refusal that sets nothing of its own."""


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/books", responses=problem_responses(409, described={409: "the bus left"}))
    async def book(body: Titled) -> dict[str, int]:
        return {"pages": body.pages}

    @router.get("/gone")
    async def gone() -> None:
        raise LateForTheBus

    @router.get("/unsaid")
    async def unsaid() -> None:
        raise Unsaid("nothing more to say")

    @router.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, detail="no such book")

    @router.get("/busy")
    async def busy() -> None:
        raise rate_limited(7, Bilingual("请 7 秒后再试", "try again in 7 s"))

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py")

    return router


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(_router())
    install_problem_answers(app)
    return app


async def _call(method: str, path: str, app: FastAPI | None = None, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app or _app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kwargs)


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert body["status"] == response.status_code
    assert body["type"] == "https://vouchers.sz.example/problems/" + body["code"].lower().replace("_", "-")
    return body


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("EN-us", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh;q=0.5, en;q=0.6", "en"),
        ("en;q=0.5, zh;q=0.5", "zh"),
        ("fr, de", "zh"),
        ("fr, en;q=0.1", "en"),
        ("*", "zh"),
        ("en;q=0.5, *;q=0.9", "zh"),
        ("zh;q=0, *", "en"),
        ("en;q=nonsense", "zh"),
    ],
)
def test_the_language_is_chinese_unless_english_is_preferred_by_q_value(
    header: str | None, language: str
) -> None:
    assert preferred_language(header) == language


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "contracts", 0, "amount_cny"), "contracts[0].amount_cny"),
        (("body", "applicant", "uscc"), "applicant.uscc"),
        (("body",), ""),
        ((3, "pct"), "[3].pct"),
        (("query", "page"), "page"),
    ],
)
def test_field_paths_read_as_the_client_wrote_them(loc: tuple[object, ...], expected: str) -> None:
    assert field_path(loc) == expected


async def test_invalid_input_is_a_422_problem_listing_every_field_in_errors() -> None:
    response = await _call("POST", "/books", json={"title": 5})
    body = _problem(response)
    assert response.status_code == 422
    assert body["code"] == "VALIDATION_FAILED"
    assert body["instance"] == "/books"
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("title", "string_type"),
        ("pages", "missing"),
    }
    assert all(set(e) == {"field", "code", "message"} for e in body["errors"])


async def test_broken_json_names_the_character_not_a_field() -> None:
    response = await _call(
        "POST", "/books", content=b'{"a": 1,', headers={"Content-Type": "application/json"}
    )
    [error] = _problem(response)["errors"]
    assert (error["field"], error["code"]) == ("", "json_invalid")
    assert "at character 8" in error["message"]


@pytest.mark.parametrize(
    ("body", "why"),
    [(b"[" * 100_000 + b"]" * 100_000, "nested too deeply"), (b'{"a": "\xff\xfe"}', "not UTF-8")],
)
async def test_a_body_that_cannot_be_parsed_at_all_is_invalid_json_too(body: bytes, why: str) -> None:
    response = await _call("POST", "/books", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    (error,) = _problem(response)["errors"]
    assert error["code"] == "json_invalid"
    assert why in error["message"]


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        (None, "车已开走", "车已于 09:00 开走"),
        ("en-GB,en;q=0.9", "The bus has left", "the bus left at 09:00"),
    ],
)
async def test_a_domain_refusal_carries_its_code_and_says_it_in_the_language_asked_for(
    language: str | None, title: str, detail: str
) -> None:
    headers = {"Accept-Language": language} if language else {}
    response = await _call("GET", "/gone", headers=headers)
    body = _problem(response)
    assert (response.status_code, body["code"]) == (409, "BUS_GONE")
    assert (body["title"], body["detail"]) == (title, detail)
    assert response.headers["Content-Language"] == ("en" if language else "zh")
    assert "errors" not in body


async def test_a_domain_refusal_saying_nothing_of_its_own_is_a_409_with_the_common_code() -> None:
    body = _problem(await _call("GET", "/unsaid", headers={"Accept-Language": "en"}))
    assert (body["status"], body["code"], body["title"], body["detail"]) == (
        409,
        "DOMAIN_RULE_REFUSED",
        "Conflict",
        "nothing more to say",
    )


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "title", "detail"),
    [
        ("GET", "/missing", 404, "NOT_FOUND", "未找到", "no such book"),
        ("GET", "/no-such-route", 404, "NOT_FOUND", "未找到", "未找到"),
        ("DELETE", "/books", 405, "METHOD_NOT_ALLOWED", "不支持该请求方法", "不支持该请求方法"),
    ],
)
async def test_http_errors_are_problems_with_a_code_for_their_status(
    method: str, path: str, status: int, code: str, title: str, detail: str
) -> None:
    response = await _call(method, path)
    body = _problem(response)
    assert (response.status_code, body["code"]) == (status, code)
    assert (body["title"], body["detail"]) == (title, detail)
    if status == 405:
        assert response.headers["Allow"] == "POST"


async def test_a_rate_limit_keeps_retry_after() -> None:
    response = await _call("GET", "/busy", headers={"Accept-Language": "en"})
    body = _problem(response)
    assert (response.status_code, body["code"], body["detail"]) == (429, "RATE_LIMITED", "try again in 7 s")
    assert response.headers["Retry-After"] == "7"


async def test_an_unexpected_failure_is_a_500_problem_telling_nothing_of_its_cause() -> None:
    response = await _call("GET", "/broken")
    body = _problem(response)
    assert (response.status_code, body["code"]) == (500, "INTERNAL_ERROR")
    assert "hunter2" not in response.text
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text


async def test_problem_error_extensions_and_errors_are_members_of_the_body() -> None:
    problem = ProblemError(
        422,
        "YEAR_UNKNOWN",
        Bilingual("年份未知", "year unknown"),
        year=2027,
        errors=[{"field": "year", "code": "YEAR_UNKNOWN", "message": "2027"}],
    )
    parsed = Problem.model_validate(problem.body("en", "/v1/x"))
    assert parsed.model_extra == {"year": 2027}
    assert parsed.errors[0].field == "year"


def test_the_openapi_document_gives_every_error_answer_the_problem_schema() -> None:
    document = _app().openapi()
    book = document["paths"]["/books"]["post"]["responses"]
    assert set(book) == {"200", "409", "413", "422"}
    for status in ("409", "413", "422"):
        assert book[status]["content"] == {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert book["409"]["description"] == "the bus left"
    schemas = document["components"]["schemas"]
    assert {"Problem", "FieldError"} <= set(schemas)
    assert {"code", "type", "title", "status", "detail", "instance"} <= set(schemas["Problem"]["required"])
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas)
    assert document == _app().openapi() == _twice(_app())


def _twice(app: FastAPI) -> dict[str, Any]:
    app.openapi()
    return app.openapi()


async def test_service_app_answers_problems_for_every_service() -> None:
    settings = CommonSettings()

    async def on_start(_runtime: Runtime) -> None:
        return None

    app, _ = service_app(
        "problem-test",
        settings,
        build_broker(settings, "problem-test"),
        on_start=on_start,
        routers=[_router()],
        title="test",
    )
    for path, code in (("/gone", "BUS_GONE"), ("/broken", "INTERNAL_ERROR"), ("/nowhere", "NOT_FOUND")):
        assert _problem(await _call("GET", path, app))["code"] == code
    assert "Problem" in app.openapi()["components"]["schemas"]
