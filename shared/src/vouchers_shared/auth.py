"""Signed, expiring bearer tokens and the three roles: submitter, operator, auditor."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from vouchers_shared import signing_key
from vouchers_shared.problems import Bilingual, ProblemError
from vouchers_shared.types import Uscc

Role = Literal["submitter", "operator", "auditor"]
ISSUER = "vouchers"
AUDIENCE = "vouchers-api"
ALGORITHM = "HS256"


class Principal(BaseModel):
    """Who is calling: a role, and for submitters the one applicant they act for.

    A submitter without a valid applicant USCC is no principal at all: a token naming none is
    neither issued nor accepted (it would otherwise read every applicant's applications).
    """

    model_config = ConfigDict(frozen=True)

    role: Role
    subject: str
    uscc: Uscc | None = None

    @model_validator(mode="after")
    def _a_submitter_acts_for_one_applicant(self) -> Principal:
        if self.role == "submitter" and not self.uscc:
            raise ValueError("a submitter token is bound to one applicant USCC")
        return self

    def may_see(self, applicant_uscc: str) -> bool:
        return self.role != "submitter" or self.uscc == applicant_uscc


class TokenService:
    def __init__(self, key: str, ttl: timedelta = timedelta(hours=12)) -> None:
        if (why := signing_key.refusal(key)) is not None:
            raise ValueError(f"the token signing key {why}; {signing_key.HOW_TO_MAKE_ONE}")
        self._key = key
        self._ttl = ttl

    def issue(self, role: Role, uscc: str | None = None, ttl: timedelta | None = None) -> str:
        """A signed token; `ValueError` for a submitter without a valid applicant USCC."""
        who = _principal(role, f"{role}:{uscc or uuid.uuid4().hex[:8]}", uscc)
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": who.subject,
            "role": who.role,
            "iat": now,
            "exp": now + (ttl or self._ttl),
            "jti": uuid.uuid4().hex,
        }
        if who.uscc:
            claims["uscc"] = who.uscc
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The caller, or `jwt.InvalidTokenError` for a bad, foreign or expired token, and for
        one whose claims make no principal (an unknown role, a submitter naming no applicant)."""
        claims = jwt.decode(
            token,
            self._key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "role"]},
        )
        try:
            return _principal(claims["role"], claims["sub"], claims.get("uscc"))
        except ValueError as exc:
            raise jwt.InvalidTokenError(f"claims refused: {exc}") from exc


def _principal(role: object, subject: object, uscc: object) -> Principal:
    """The principal these claims make, or `ValueError` saying why they make none."""
    try:
        return Principal.model_validate({"role": role, "subject": subject, "uscc": uscc})
    except ValidationError as exc:
        problems = (str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_input=False))
        raise ValueError("; ".join(problems)) from None


# The OpenAPI documents declare it, so their Swagger page can authorize; `auto_error=False`
# leaves a missing token to `requires`, which answers our own 401 problem.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A token of `vouchers token …` (or, in local mode, "
    "`POST /v1/dev/tokens` on intake), sent as `Authorization: Bearer <token>`",
)
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
            raise ProblemError(
                403,
                "ROLE_NOT_ALLOWED",
                Bilingual(f"角色 {who.role} 无权执行此操作", f"role {who.role} may not do this"),
            )
        request.state.principal = who
        return who

    return principal


def principal_param(dependency: Callable[[Request], Coroutine[Any, Any, Principal]]) -> Any:
    return Depends(dependency)
