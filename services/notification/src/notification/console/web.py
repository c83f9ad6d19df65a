"""What every console page and form shares: who is signed in, the CSRF check, reading a form,
rendering a template in the member's language, and the pages for refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from vouchers_shared.auth import TokenService
from vouchers_shared.clock import SHANGHAI

from notification.config import Settings
from notification.console.i18n import HTML_LANG, language, translator
from notification.console.session import (
    COOKIE,
    CSRF_FIELD,
    LANG_COOKIE,
    STAFF_ROLES,
    Session,
    csrf_ok,
    open_session,
)
from notification.console.upstream import Upstream
from notification.domain.templating import amount_in_figures, environment
from notification.handlers import Deps

PREFIX = "/console"
# Pages carry a CSRF token (never cached), are never framed by another site (a confirmation
# clicked through a frame), and send no address on: the sign-in form may have a token in its own.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "frame-ancestors 'none'; form-action 'self'",
}


@dataclass(frozen=True)
class Console:
    """What the console's routes work with."""

    deps: Callable[[], Deps]
    tokens: TokenService
    settings: Settings
    notice_days: int
    most_open: int
    upstream: Upstream


class SignInNeeded(Exception):
    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class Refused(Exception):
    """A page saying why nothing was done: 403, 404, 409 or 422, with words for it."""

    def __init__(
        self,
        status: int,
        key: str,
        detail: str | None = None,
        session: Session | None = None,
        back: str | None = None,
    ) -> None:
        super().__init__(key)
        self.status, self.key, self.detail, self.session, self.back = status, key, detail, session, back


@dataclass(frozen=True)
class Form:
    values: dict[str, list[str]]

    def get(self, name: str) -> str:
        found = self.values.get(name)
        return found[0].strip() if found else ""

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.values.get(name, []) if v.strip()]

    @property
    def confirmed(self) -> bool:
        return self.get("confirmed") == "yes"


def session_of(console: Console, request: Request) -> Session | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return open_session(console.tokens, token)
    except (jwt.InvalidTokenError, KeyError, ValueError):
        return None


def here(request: Request) -> str:
    """This page's address to come back to, without any token given in it."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
    return request.url.path + (f"?{query}" if query else "")


def reader(console: Console, request: Request) -> Session:
    """The signed-in member of staff; a submitter's token is refused."""
    session = session_of(console, request)
    if session is None:
        raise SignInNeeded(here(request))
    if session.who.role not in STAFF_ROLES:
        raise Refused(403, "forbidden_submitter")
    return session


def actor(console: Console, request: Request) -> Session:
    """The signed-in operator; an auditor is refused."""
    session = reader(console, request)
    if not session.may_act:
        raise Refused(403, "forbidden_read_only", session=session)
    return session


async def read_form(request: Request) -> Form:
    body = (await request.body()).decode("utf-8", errors="replace")
    return Form(parse_qs(body, keep_blank_values=True, max_num_fields=1000))


async def checked_form(request: Request, session: Session) -> Form:
    """The posted form, if it carries the session's CSRF token; else nothing is done."""
    form = await read_form(request)
    if not csrf_ok(session, form.get(CSRF_FIELD)):
        raise Refused(403, "forbidden_csrf", session=session)
    return form


def safe_next(value: str | None) -> str:
    """A path inside the console to go back to, never another site."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX + "/queue"


def when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def page(
    request: Request, template: str, session: Session | None, *, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request.cookies.get(LANG_COOKIE))
    html = (
        environment()
        .get_template(f"console/{template}")
        .render(
            t=translator(lang),
            lang=lang,
            html_lang=HTML_LANG[lang],
            session=session,
            here=here(request),
            here_quoted=quote(here(request), safe=""),
            when=when,
            figures=amount_in_figures,
            csrf_field=CSRF_FIELD,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def done(location: str, key: str, **values: str) -> RedirectResponse:
    """After an action: back to a page, which says what was done (Post/Redirect/Get)."""
    query = "&".join([f"done={key}", *(f"{k}={quote(v, safe='')}" for k, v in values.items())])
    return RedirectResponse(f"{location}{'&' if '?' in location else '?'}{query}", status_code=303)


def install(app: FastAPI) -> None:
    """The pages for a sign-in needed and for a refusal."""

    async def sign_in_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeeded)
        return RedirectResponse(f"{PREFIX}/sign-in?next={quote(exc.back_to, safe='')}", status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return page(
            request,
            "refused.html.j2",
            exc.session,
            status=exc.status,
            key=exc.key,
            detail=exc.detail,
            back=exc.back,
        )

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(Refused, refused)
