"""Every service refuses a request body over the limit with 413, declared or streamed, before
any endpoint reads it; the limit is installed by `service_app` for every service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from vouchers_shared.body_limit import BodySizeLimit
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.runtime import Runtime, service_app
from vouchers_shared.settings import CommonSettings


class Titled(BaseModel):
    title: str


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @router.post("/model")
    async def model(body: Titled) -> dict[str, int]:
        return {"chars": len(body.title)}

    @router.post("/broken")
    async def broken(request: Request) -> dict[str, int]:
        await request.body()
        raise RuntimeError("the endpoint's own failure")

    return router


def _app(limit: int) -> FastAPI:
    app = FastAPI()
    app.include_router(_router())
    app.add_middleware(BodySizeLimit, limit=limit)
    return app


async def _post(app: FastAPI, path: str, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, content=content, headers={"Content-Type": "application/json"})


async def _chunks(head: bytes, count: int, tail: bytes) -> AsyncIterator[bytes]:
    yield head
    for _ in range(count):
        yield b"y" * 300
    yield tail


async def test_a_body_at_the_limit_passes_and_one_byte_more_is_a_413() -> None:
    app = _app(1000)
    assert (await _post(app, "/echo", b"x" * 1000)).json() == {"bytes": 1000}
    refused = await _post(app, "/echo", b"x" * 1001)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "BODY_TOO_LARGE"
    assert refused.json()["status"] == 413


@pytest.mark.parametrize("path", ["/echo", "/model"])
async def test_a_streamed_body_without_length_is_counted_and_refused(path: str) -> None:
    response = await _post(_app(1000), path, _chunks(b'{"title": "', 5, b'"}'))
    assert response.status_code == 413, response.text  # never FastAPI's 400 "error parsing the body"
    assert response.json()["code"] == "BODY_TOO_LARGE"


@pytest.mark.parametrize(
    ("language", "detail"),
    [(None, "请求体至多 1000 字节"), ("en", "a request body may be at most 1000 bytes")],
)
async def test_the_413_is_a_problem_in_the_language_asked_for(language: str | None, detail: str) -> None:
    headers = {"Content-Type": "application/json", **({"Accept-Language": language} if language else {})}
    transport = httpx.ASGITransport(app=_app(1000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        declared = await client.post("/echo", content=b"x" * 1001, headers=headers)
        streamed = await client.post("/model", content=_chunks(b'{"title": "', 5, b'"}'), headers=headers)
    for refused in (declared, streamed):
        assert refused.json()["detail"] == detail
        assert refused.json()["instance"] in ("/echo", "/model")


async def test_a_streamed_body_under_the_limit_reaches_the_endpoint() -> None:
    response = await _post(_app(1000), "/model", _chunks(b'{"title": "', 2, b'"}'))
    assert response.json() == {"chars": 600}


async def test_an_endpoints_own_failure_is_not_taken_for_a_big_body() -> None:
    response = await _post(_app(1000), "/broken", b"{}")
    assert response.status_code == 500


def test_a_limit_below_one_byte_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one byte"):
        BodySizeLimit(FastAPI(), limit=0)


async def test_service_app_puts_the_limit_on_every_endpoint_health_ones_included() -> None:
    settings = CommonSettings(http_max_body_bytes=2048)

    async def on_start(_runtime: Runtime) -> None:
        return None

    app, _ = service_app(
        "body-limit-test",
        settings,
        build_broker(settings, "body-limit-test"),
        on_start=on_start,
        routers=[_router()],
        title="test",
    )
    for path in ("/echo", "/model", "/health/live", "/metrics"):
        response = await _post(app, path, b"x" * 2049)
        assert response.status_code == 413, path
    streamed = await _post(app, "/model", _chunks(b'{"title": "', 10, b'"}'))
    assert streamed.status_code == 413
    assert (await _post(app, "/echo", b"x" * 2048)).json() == {"bytes": 2048}
