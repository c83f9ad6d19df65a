"""The console over a notice world: the real routes, store and service layer on an in-memory
document store; intake and verification do not answer (the pages say so)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from notice_world import NoticeWorld
from notification import console
from notification.config import Settings
from notification.console.session import COOKIE, NONCE_COOKIE
from notification.console.upstream import Upstream
from vouchers_shared import signing_key

NOBODY = "http://127.0.0.1:9"  # discard: nothing answers there
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def console_app(world: NoticeWorld, *, local_mode: bool = True) -> FastAPI:
    app = FastAPI()
    settings = Settings(
        vouchers_local_mode=local_mode, vouchers_token_key=signing_key.generate(), _env_file=None
    )  # type: ignore[call-arg]
    console.mount(
        app, console.Console(lambda: world.deps, world.tokens, settings, 5, 20, Upstream(NOBODY, NOBODY))
    )
    return app


def browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notification")


@asynccontextmanager
async def signed_in(app: FastAPI, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser that signed in with `token` through the sign-in form."""
    async with browser(app) as client:
        form = await client.get("/console/sign-in")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
        assert nonce is not None
        answer = await client.post("/console/sign-in", data={"token": token, "nonce": nonce.group(1)})
        assert answer.status_code == 303, answer.text
        assert client.cookies.get(COOKIE) == token
        assert NONCE_COOKIE not in client.cookies
        yield client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)
