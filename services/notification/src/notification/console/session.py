"""The console's session: the signed bearer token itself, kept in a cookie, and its CSRF token.

A member of staff presents a token once; the console keeps that very token in an HttpOnly,
SameSite=Strict cookie (Secure over TLS) that expires when the token does, and checks it on
every request as the API checks a bearer token. Nothing is stored on the server, so any
replica, or the same one after a restart, knows the session.

Every form carries a CSRF token: an HMAC of a fixed label keyed by the session's token. Only
pages served to the holder of the cookie carry it; another site can neither read the cookie
nor compute the token from anything it can see. The sign-in forms, before there is a session,
carry a random nonce that must equal the one in a short-lived cookie (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from vouchers_shared.auth import Principal, TokenService

COOKIE = "vouchers_console"
NONCE_COOKIE = "vouchers_console_nonce"
LANG_COOKIE = "vouchers_console_lang"
PATH = "/console"
CSRF_FIELD = "csrf"
_CSRF_LABEL = b"vouchers-console-csrf-v1"
STAFF_ROLES = frozenset({"operator", "auditor"})


@dataclass(frozen=True)
class Session:
    token: str
    who: Principal
    expires_at: datetime

    @property
    def may_act(self) -> bool:
        """Operators act; auditors read everything and act on nothing."""
        return self.who.role == "operator"

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def open_session(tokens: TokenService, token: str) -> Session:
    """The session of a valid token, or `jwt.InvalidTokenError`."""
    token = token.strip()
    who = tokens.verify(token)  # the signature, audience, issuer and expiry are checked here
    claims = jwt.decode(token, options={"verify_signature": False})  # read only after verify
    return Session(token, who, datetime.fromtimestamp(int(claims["exp"]), UTC))


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def nonce_ok(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie) and bool(submitted) and hmac.compare_digest(cookie or "", submitted or "")


def cookie_options(*, secure: bool, expires_at: datetime | None = None) -> dict[str, Any]:
    """Options for `Response.set_cookie`: HttpOnly, SameSite=Strict, Secure over TLS, the
    console's path, and an expiry (the token's) unless it is a cookie for the browser session."""
    options: dict[str, Any] = {"httponly": True, "samesite": "strict", "secure": secure, "path": PATH}
    if expires_at is not None:
        options["expires"] = expires_at
    return options
