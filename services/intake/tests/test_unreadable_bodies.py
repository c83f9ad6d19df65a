"""A body FastAPI cannot parse at all is a 422 in the documented shape, like broken JSON."""

import httpx
import pytest
from fastapi import Body, FastAPI, HTTPException
from intake.http_errors import install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/doc")
    async def doc(body: dict[str, object] = Body()) -> dict[str, int]:  # noqa: B008
        return {"keys": len(body)}

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, detail="no such thing")

    return app


@pytest.mark.parametrize(
    ("body", "why"),
    [(b"[" * 100_000 + b"]" * 100_000, "nested too deeply"), (b'{"a": "\xff\xfe"}', "not UTF-8")],
)
async def test_an_unparseable_body_is_422_json_invalid(body: bytes, why: str) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/doc", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["code"] == "json_invalid"
    assert why in error["message"]


async def test_other_http_errors_keep_their_answer() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"detail": "no such thing"}
