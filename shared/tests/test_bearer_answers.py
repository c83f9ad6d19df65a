"""The bearer token is taken by the declared `HTTPBearer` scheme, so the OpenAPI document can
authorize, while missing, bad and wrong-role tokens are answered 401/403 problems of our own."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from vouchers_shared import signing_key
from vouchers_shared.auth import Principal, TokenService, requires
from vouchers_shared.problem_answers import install_problem_answers
from vouchers_shared.problems import PROBLEM_MEDIA_TYPE

TOKENS = TokenService(signing_key.generate())


def _app() -> FastAPI:
    app = FastAPI()
    operator = Depends(requires(lambda: TOKENS, "operator"))

    @app.get("/v1/secret")
    async def secret(who: Annotated[Principal, operator]) -> dict[str, str]:
        return {"role": who.role}

    @app.get("/open")
    async def open_() -> dict[str, str]:
        return {"open": "yes"}

    install_problem_answers(app)
    return app


async def _get(path: str, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as client:
        return await client.get(path, headers=headers)


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 401, "TOKEN_MISSING"),
        ("", 401, "TOKEN_MISSING"),
        ("Bearer", 401, "TOKEN_MISSING"),
        ("Basic dXNlcjpwdw==", 401, "TOKEN_MISSING"),
        ("Bearer not.a.token", 401, "TOKEN_INVALID"),
        (f"Bearer {TokenService(signing_key.generate()).issue('operator')}", 401, "TOKEN_INVALID"),
        (f"Bearer {TOKENS.issue('auditor')}", 403, "ROLE_NOT_ALLOWED"),
    ],
)
async def test_a_missing_bad_or_wrong_role_token_is_our_own_problem(
    authorization: str | None, status: int, code: str
) -> None:
    response = await _get("/v1/secret", authorization)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["code"] == code
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_a_valid_token_of_the_role_goes_through(scheme: str) -> None:
    response = await _get("/v1/secret", f"{scheme} {TOKENS.issue('operator')}")
    assert response.json() == {"role": "operator"}


def test_the_openapi_document_declares_bearer_auth_on_the_operations_needing_a_token() -> None:
    document = _app().openapi()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    secret = document["paths"]["/v1/secret"]["get"]
    assert secret["security"] == [{"bearer": []}]
    assert {"401", "403"} <= set(secret["responses"])
    assert secret["responses"]["401"]["headers"]["WWW-Authenticate"]
    assert "security" not in document["paths"]["/open"]["get"]
    assert not {"401", "403"} & set(document["paths"]["/open"]["get"]["responses"])
