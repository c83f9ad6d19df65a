"""Error answers in the documented shape: {"errors": [{"field", "code", "message"}]}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from vouchers_shared.body_limit import BODY_TOO_LARGE, too_large_message


def field_path(loc: Sequence[Any]) -> str:
    """('body', 'contracts', 0, 'amount_cny') -> 'contracts[0].amount_cny'."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def errors_response(status: int, errors: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


def _error(e: dict[str, Any]) -> dict[str, str]:
    if e["type"] == "json_invalid":  # its loc ends in a character position, not a field
        detail = (e.get("ctx") or {}).get("error", "")
        return {"field": "", "code": "json_invalid",
                "message": f"{e['msg']} at character {e['loc'][-1]}: {detail}".rstrip(": ")}
    return {"field": field_path(e["loc"]), "code": str(e["type"]), "message": str(e["msg"])}


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return errors_response(422, [_error(e) for e in exc.errors()])


async def on_http_error(request: Request, exc: Exception) -> Response:
    """A body FastAPI could not even parse (nested too deep, not UTF-8) is invalid JSON too,
    answered like any other: 422 in the documented shape. Other HTTP errors as FastAPI has them."""
    assert isinstance(exc, StarletteHTTPException)
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, RecursionError | UnicodeDecodeError):
        why = "it is nested too deeply" if isinstance(cause, RecursionError) else "it is not UTF-8"
        return errors_response(422, [{"field": "", "code": "json_invalid",
                                      "message": f"the body cannot be read as JSON: {why}"}])
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def too_large(limit: int) -> Response:
    """The 413 of the shared body limit, in the documented shape."""
    return errors_response(413, [{"field": "", "code": BODY_TOO_LARGE, "message": too_large_message(limit)}])
