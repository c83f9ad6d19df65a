"""Signing in and out, and the language switch.

A token is presented once, on the sign-in form; the console keeps it in its session cookie
until it expires (see `session`). In local mode the sign-in page also offers to issue a token
for an operator or an auditor, and fills in a token given in its address (the link `make demo`
prints), still to be sent with the form: a link alone signs nobody in.
"""

from __future__ import annotations

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from notification.console.i18n import LANGS
from notification.console.session import (
    COOKIE,
    LANG_COOKIE,
    NONCE_COOKIE,
    STAFF_ROLES,
    Session,
    cookie_options,
    new_nonce,
    nonce_ok,
    open_session,
)
from notification.console.web import (
    PREFIX,
    Console,
    Refused,
    checked_form,
    page,
    read_form,
    reader,
    safe_next,
    session_of,
)

DEV_ROLES = ("operator", "auditor")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sign_in_page(
    console: Console,
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    token: str = "",
    back_to: str | None = None,
) -> Response:
    nonce = new_nonce()
    response = page(
        request,
        "sign_in.html.j2",
        None,
        status=status,
        error=error,
        nonce=nonce,
        token=token,
        next=safe_next(back_to or request.query_params.get("next")),
        dev_roles=DEV_ROLES if console.settings.vouchers_local_mode else (),
    )
    response.set_cookie(NONCE_COOKIE, nonce, max_age=3600, **cookie_options(secure=_secure(request)))
    return response


def _signed_in(request: Request, session: Session, back_to: str) -> Response:
    response = RedirectResponse(safe_next(back_to), status_code=303)
    response.set_cookie(
        COOKIE, session.token, **cookie_options(secure=_secure(request), expires_at=session.expires_at)
    )
    response.delete_cookie(NONCE_COOKIE, path=PREFIX)
    return response


def build(console: Console) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("/sign-in")
    async def sign_in_form(request: Request) -> Response:
        """The sign-in form; in local mode a `token` in the address is filled in."""
        given = request.query_params.get("token", "") if console.settings.vouchers_local_mode else ""
        return _sign_in_page(console, request, token=given[:4000])

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await read_form(request)
        if not nonce_ok(request.cookies.get(NONCE_COOKIE), form.get("nonce")):
            raise Refused(403, "forbidden_csrf", back=f"{PREFIX}/sign-in")
        try:
            session = open_session(console.tokens, form.get("token"))
        except (jwt.InvalidTokenError, KeyError, ValueError):
            return _sign_in_page(console, request, status=401, error="bad_token", back_to=form.get("next"))
        if session.who.role not in STAFF_ROLES:
            raise Refused(403, "forbidden_submitter", back=f"{PREFIX}/sign-in")
        return _signed_in(request, session, form.get("next"))

    @router.post("/sign-in/local")
    async def sign_in_locally(request: Request) -> Response:
        """Local mode only: issue a token for the role chosen and sign in with it."""
        if not console.settings.vouchers_local_mode:
            raise Refused(404, "not_found")
        form = await read_form(request)
        role = form.get("role")
        if not nonce_ok(request.cookies.get(NONCE_COOKIE), form.get("nonce")) or role not in DEV_ROLES:
            raise Refused(403, "forbidden_csrf", back=f"{PREFIX}/sign-in")
        session = open_session(console.tokens, console.tokens.issue(role))  # type: ignore[arg-type]
        return _signed_in(request, session, form.get("next"))

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        session = session_of(console, request)
        if session is not None:
            await checked_form(request, session)
        response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    @router.get("/lang/{code}")
    async def switch_language(code: str, request: Request) -> Response:
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        if code in LANGS:
            response.set_cookie(
                LANG_COOKIE, code, max_age=365 * 86400, **cookie_options(secure=_secure(request))
            )
        return response

    @router.get("/")
    async def home(request: Request) -> Response:
        reader(console, request)
        return RedirectResponse(f"{PREFIX}/queue", status_code=303)

    return router
