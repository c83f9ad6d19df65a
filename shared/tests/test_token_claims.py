"""A token is accepted only when its claims make a principal: a submitter names one valid USCC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from stdnum.cn import uscc as stdnum_uscc
from vouchers_shared import signing_key
from vouchers_shared.auth import ALGORITHM, AUDIENCE, ISSUER, Principal, TokenService, requires

KEY = signing_key.generate()
BODY = "91440305MA5K00001"
USCC = BODY + stdnum_uscc.calc_check_digit(BODY)
WRONG_CHECK = BODY + ("0" if USCC[-1] != "0" else "1")
MISSING = object()

REFUSED_CLAIMS: dict[str, dict[str, Any]] = {
    "a submitter without uscc": {"role": "submitter"},
    "a submitter with uscc null": {"role": "submitter", "uscc": None},
    "a submitter with an empty uscc": {"role": "submitter", "uscc": ""},
    "a submitter with a wrong check digit": {"role": "submitter", "uscc": WRONG_CHECK},
    "a submitter with a short uscc": {"role": "submitter", "uscc": "914403"},
    "a submitter with a numeric uscc": {"role": "submitter", "uscc": 914403},
    "a submitter with a list of usccs": {"role": "submitter", "uscc": [USCC]},
    "an unknown role": {"role": "administrator"},
    "a role that is not text": {"role": ["operator"]},
}


def signed(claims: dict[str, Any]) -> str:
    """A token signed with the service's own key, as if issued by a careless or hostile tool."""
    now = datetime.now(UTC)
    return jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "someone",
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "jti": uuid.uuid4().hex,
            **claims,
        },
        KEY,
        algorithm=ALGORITHM,
    )


def app() -> FastAPI:
    tokens = TokenService(KEY)
    api = FastAPI()
    reader = Depends(requires(lambda: tokens, "submitter", "operator", "auditor"))

    @api.get("/v1/applications")
    async def listing(who: Principal = reader) -> dict[str, Any]:
        return {"role": who.role, "uscc": who.uscc}

    return api


async def get(token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/v1/applications", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("claims", REFUSED_CLAIMS.values(), ids=REFUSED_CLAIMS.keys())
def test_claims_that_make_no_principal_are_an_invalid_token(claims: dict[str, Any]) -> None:
    with pytest.raises(jwt.InvalidTokenError, match="claims refused"):
        TokenService(KEY).verify(signed(claims))


@pytest.mark.parametrize("claims", REFUSED_CLAIMS.values(), ids=REFUSED_CLAIMS.keys())
async def test_every_door_answers_such_a_token_with_401(claims: dict[str, Any]) -> None:
    response = await get(signed(claims))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("role", "uscc"), [("submitter", USCC), ("operator", None), ("auditor", None)])
async def test_a_well_formed_token_is_accepted(role: str, uscc: str | None) -> None:
    response = await get(signed({"role": role, **({"uscc": uscc} if uscc else {})}))

    assert response.status_code == 200
    assert response.json() == {"role": role, "uscc": uscc}


@pytest.mark.parametrize("uscc", [None, "", WRONG_CHECK, "914403", "not-a-code"])
def test_no_submitter_token_is_issued_without_a_valid_applicant(uscc: str | None) -> None:
    with pytest.raises(ValueError, match=r"USCC|unified social credit code"):
        TokenService(KEY).issue("submitter", uscc)


def test_an_issued_submitter_token_names_its_applicant() -> None:
    tokens = TokenService(KEY)
    assert tokens.verify(tokens.issue("submitter", USCC)).uscc == USCC
