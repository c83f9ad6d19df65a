"""HTTP request latency by route template (`/v1/applications/{application_id}`), never raw path."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vouchers_shared.observability import metrics

UNMATCHED = "<unmatched>"
NOT_MEASURED = frozenset({"/metrics", "/health/live", "/health/ready"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The template of the route that answered; ids in the path never become a label."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def method_label(scope: Scope) -> str:
    """The method, or `OTHER` for anything a client made up (labels stay a small set)."""
    method = str(scope.get("method", "")).upper()
    return method if method in METHODS else "OTHER"


class HttpMetrics:
    """A pure ASGI middleware observing `vouchers_http_request_seconds{method,route,status}`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = route_template(scope)
            if route not in NOT_MEASURED:
                metrics.HTTP_REQUEST_SECONDS.labels(
                    method=method_label(scope), route=route, status=str(status)
                ).observe(time.perf_counter() - started)
