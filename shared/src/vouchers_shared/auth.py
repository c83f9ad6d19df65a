"""Signed, expiring bearer tokens and the three roles: submitter, operator, auditor."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel

from vouchers_shared import signing_key

Role = Literal["submitter", "operator", "auditor"]
ISSUER = "vouchers"
AUDIENCE = "vouchers-api"
ALGORITHM = "HS256"


class Principal(BaseModel):
    """Who is calling: a role, and for submitters the one applicant they act for."""

    role: Role
    subject: str
    uscc: str | None = None

    def may_see(self, applicant_uscc: str) -> bool:
        return self.role != "submitter" or self.uscc == applicant_uscc


class TokenService:
    def __init__(self, key: str, ttl: timedelta = timedelta(hours=12)) -> None:
        if (why := signing_key.refusal(key)) is not None:
            raise ValueError(f"the token signing key {why}; {signing_key.HOW_TO_MAKE_ONE}")
        self._key = key
        self._ttl = ttl

    def issue(self, role: Role, uscc: str | None = None, ttl: timedelta | None = None) -> str:
        if role == "submitter" and not uscc:
            raise ValueError("a submitter token is bound to one applicant USCC")
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": f"{role}:{uscc or uuid.uuid4().hex[:8]}",
            "role": role, "iat": now, "exp": now + (ttl or self._ttl), "jti": uuid.uuid4().hex,
        }
        if uscc:
            claims["uscc"] = uscc
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The caller, or `jwt.InvalidTokenError` for a bad, foreign or expired token."""
        claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "iat", "sub", "role"]})
        return Principal(role=claims["role"], subject=claims["sub"], uscc=claims.get("uscc"))


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def requires(
    tokens: Callable[[], TokenService], *roles: Role
) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: 401 without a valid token, 403 for a role not in `roles`."""

    async def principal(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("missing bearer token")
        try:
            who = tokens().verify(token.strip())
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"invalid token: {exc}") from exc
        if who.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {who.role} may not do this")
        request.state.principal = who
        return who

    return principal


def principal_param(dependency: Callable[[Request], Coroutine[Any, Any, Principal]]) -> Any:
    return Depends(dependency)
