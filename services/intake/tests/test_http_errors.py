"""Error answers name the field the way a client wrote it, and big bodies stop at the door."""

import httpx
import pytest
from fastapi import Body, FastAPI, Request
from intake.http_errors import field_path, install_error_handlers, too_large
from pydantic import BaseModel
from vouchers_shared.body_limit import BodySizeLimit


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "contracts", 0, "amount_cny"), "contracts[0].amount_cny"),
        (("body", "applicant", "uscc"), "applicant.uscc"),
        (("body",), ""),
        ((3, "pct"), "[3].pct"),
    ],
)
def test_field_paths_read_as_the_client_wrote_them(loc: tuple[object, ...], expected: str) -> None:
    assert field_path(loc) == expected


def _echo_app(limit: int) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/model")
    async def model(body: Titled) -> dict[str, int]:
        return {"chars": len(body.title)}

    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, limit=limit, answer=too_large)
    return app


class Titled(BaseModel):
    title: str


async def test_a_body_over_the_limit_is_refused_with_413() -> None:
    transport = httpx.ASGITransport(app=_echo_app(1000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        small = await client.post("/echo", content=b"x" * 1000)
        big = await client.post("/echo", content=b"x" * 1001)
    assert small.json() == {"bytes": 1000}
    assert big.status_code == 413
    assert big.json()["errors"][0]["code"] == "BODY_TOO_LARGE"


async def test_a_streamed_body_without_length_is_counted_too() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"y" * 300

    transport = httpx.ASGITransport(app=_echo_app(1000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/echo", content=chunks())
    assert response.status_code == 413


async def test_a_streamed_body_over_the_limit_is_a_413_where_fastapi_parses_it_too() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"title": "'
        for _ in range(5):
            yield b"y" * 300
        yield b'"}'

    transport = httpx.ASGITransport(app=_echo_app(1000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/model", content=chunks(),
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413  # not FastAPI's 400 "error parsing the body"
    assert response.json()["errors"][0]["code"] == "BODY_TOO_LARGE"


async def test_broken_json_names_the_character_not_a_field() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/doc")
    async def doc(body: dict[str, int] = Body()) -> dict[str, int]:  # noqa: B008
        return body

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/doc", content=b'{"a": 1,',
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("", "json_invalid")
    assert "at character 8" in error["message"]
