"""The console's session: the token kept in the cookie is checked like a bearer token, its CSRF
token belongs to that session alone, and the cookie is HttpOnly, SameSite=Strict and expires
with the token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from notification.console.session import cookie_options, csrf_ok, csrf_token, nonce_ok, open_session
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService

TOKENS = TokenService(signing_key.generate())


def test_a_session_names_the_member_and_ends_when_the_token_does() -> None:
    token = TOKENS.issue("operator", ttl=timedelta(minutes=90))
    session = open_session(TOKENS, f"  {token}\n")
    assert session.who.role == "operator"
    assert session.may_act
    assert abs(session.expires_at - (datetime.now(UTC) + timedelta(minutes=90))) < timedelta(seconds=5)


def test_an_auditor_session_may_not_act() -> None:
    assert not open_session(TOKENS, TOKENS.issue("auditor")).may_act


@pytest.mark.parametrize(
    "token",
    [
        TokenService(signing_key.generate()).issue("operator"),
        TOKENS.issue("operator", ttl=timedelta(seconds=-1)),
        "not-a-token",
    ],
)
def test_a_foreign_expired_or_malformed_token_opens_no_session(token: str) -> None:
    with pytest.raises(jwt.InvalidTokenError):
        open_session(TOKENS, token)


def test_the_csrf_token_belongs_to_its_session_alone() -> None:
    mine, theirs = (open_session(TOKENS, TOKENS.issue("operator")) for _ in range(2))
    assert csrf_ok(mine, mine.csrf)
    assert not csrf_ok(mine, theirs.csrf)
    assert mine.csrf == csrf_token(mine.token)
    assert mine.csrf not in mine.token  # the page shows the CSRF token, never the session's


@pytest.mark.parametrize("submitted", [None, "", "0" * 64])
def test_a_missing_or_forged_csrf_token_is_refused(submitted: str | None) -> None:
    assert not csrf_ok(open_session(TOKENS, TOKENS.issue("operator")), submitted)


@pytest.mark.parametrize(
    ("cookie", "submitted", "ok"),
    [("n1", "n1", True), ("n1", "n2", False), (None, "n1", False), ("n1", None, False), ("", "", False)],
)
def test_the_sign_in_nonce_must_match_its_cookie(cookie: str | None, submitted: str | None, ok: bool) -> None:
    assert nonce_ok(cookie, submitted) is ok


def test_the_cookie_is_httponly_strict_on_the_console_path_and_secure_over_tls() -> None:
    expires = datetime(2026, 6, 1, tzinfo=UTC)
    options = cookie_options(secure=True, expires_at=expires)
    assert options == {
        "httponly": True,
        "samesite": "strict",
        "secure": True,
        "path": "/console",
        "expires": expires,
    }
    assert cookie_options(secure=False)["secure"] is False
    assert "expires" not in cookie_options(secure=False)
