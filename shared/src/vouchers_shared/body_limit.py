"""A request-body limit for every service's HTTP endpoints: past it, `413` before any parsing.

A body declared too long (Content-Length) is refused unread. A body sent without a length
(chunked) is counted as it arrives; once it passes the limit the request is cut short and
answered `413`, whatever the endpoint then makes of the body it could not finish reading
(FastAPI would call it unparseable, `400`): that answer is dropped. The `413` is a problem
(`vouchers_shared.problems`) with code BODY_TOO_LARGE.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vouchers_shared.problems import Bilingual, ProblemError

MAX_BODY_BYTES = 1024 * 1024
BODY_TOO_LARGE = "BODY_TOO_LARGE"


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        BODY_TOO_LARGE,
        Bilingual(f"请求体至多 {limit} 字节", f"a request body may be at most {limit} bytes"),
    )


TooLargeAnswer = Callable[[int], ASGIApp]
"""The answer to a body over a limit: the 413 problem, or a service's own (a form's page)."""


def problem_answer(limit: int) -> ASGIApp:
    """The 413 problem, in the language the request prefers."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        language = Headers(scope=scope).get("accept-language")
        await too_large(limit).response(language, scope.get("path", ""))(scope, receive, send)

    return answer


class BodySizeLimit:
    """Pure ASGI middleware refusing a request body over `limit` bytes with `answer(limit)`."""

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY_BYTES, answer: TooLargeAnswer = problem_answer
    ) -> None:
        if limit < 1:
            raise ValueError("a body limit must be at least one byte")
        self.app, self.limit, self.answer = app, limit, answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self.answer(self.limit)(scope, receive, send)
            return
        seen, over, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                over = True
                raise BodyTooLarge(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # the endpoint's answer to a body it could not finish reading
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self.answer(self.limit)(scope, receive, send)


class BodyTooLarge(Exception):
    """Raised from `receive` once a body passes the limit; ends the request."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
