"""Signed, expiring bearer tokens and the three roles: submitter, operator, auditor."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from vouchers_shared.problems import Bilingual, ProblemError

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


# The OpenAPI documents declare it, so their Swagger page can authorize; `auto_error=False`
# leaves a missing token to `requires`, which answers our own 401 problem.
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT",
                    description="A token of `vouchers token …` (or, in local mode, "
                                "`POST /v1/dev/tokens` on intake), sent as `Authorization: Bearer <token>`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def _unauthorized(code: str, detail: Bilingual) -> ProblemError:
    return ProblemError(401, code, detail, headers={"WWW-Authenticate": "Bearer"})


def requires(
    tokens: Callable[[], TokenService], *roles: Role
) -> Callable[[Request, HTTPAuthorizationCredentials | None], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: 401 without a valid token, 403 for a role not in `roles`."""

    async def principal(request: Request, credentials: Credentials) -> Principal:
        if credentials is None:
            raise _unauthorized("TOKEN_MISSING", Bilingual("缺少 Bearer 令牌", "missing bearer token"))
        try:
            who = tokens().verify(credentials.credentials.strip())
        except jwt.InvalidTokenError as exc:
            invalid = Bilingual(f"令牌无效：{exc}", f"invalid token: {exc}")
            raise _unauthorized("TOKEN_INVALID", invalid) from exc
        if who.role not in roles:
            raise ProblemError(403, "ROLE_NOT_ALLOWED", Bilingual(f"角色 {who.role} 无权执行此操作",
                                                                  f"role {who.role} may not do this"))
        request.state.principal = who
        return who

    return principal


def principal_param(dependency: Callable[[Request], Coroutine[Any, Any, Principal]]) -> Any:
    return Depends(dependency)
