"""Every error a service answers, as a problem (`vouchers_shared.problems`): HTTP errors, invalid
requests, domain refusals, and anything unexpected (a 500 that tells nothing of its cause)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from vouchers_shared.errors import DomainRuleError
from vouchers_shared.problem_docs import document_problems
from vouchers_shared.problems import Bilingual, ProblemError, status_code, status_title

INTERNAL = Bilingual(
    "处理请求时出现内部错误，已记录；请稍后重试",
    "the request could not be handled because of an internal error, which was logged; please try again later",
)


def field_path(loc: Sequence[Any]) -> str:
    """('body', 'contracts', 0, 'amount_cny') -> 'contracts[0].amount_cny'."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def field_error(e: Mapping[str, Any]) -> dict[str, str]:
    """One pydantic error as a `{"field", "code", "message"}` item."""
    if e["type"] == "json_invalid":  # its loc ends in a character position, not a field
        detail = (e.get("ctx") or {}).get("error", "")
        return {
            "field": "",
            "code": "json_invalid",
            "message": f"{e['msg']} at character {e['loc'][-1]}: {detail}".rstrip(": "),
        }
    return {"field": field_path(e["loc"]), "code": str(e["type"]), "message": str(e["msg"])}


def invalid(errors: Sequence[Mapping[str, str]], code: str = "VALIDATION_FAILED") -> ProblemError:
    """A 422 listing every field-level problem."""
    n = len(errors)
    return ProblemError(
        422,
        code,
        Bilingual(
            f"请求有 {n} 处不符合要求，详见 errors",
            f"the request has {n} problem{'' if n == 1 else 's'}; see errors",
        ),
        errors=errors,
    )


def domain_problem(exc: DomainRuleError) -> ProblemError:
    title = Bilingual(exc.title_zh, exc.title_en) if exc.title_zh and exc.title_en else None
    return ProblemError(
        exc.http_status,
        exc.code,
        Bilingual(exc.message_zh or str(exc), str(exc)),
        title=title,
        errors=exc.errors,
    )


def _http_problem(exc: StarletteHTTPException) -> ProblemError:
    cause = exc.__cause__
    if exc.status_code == 400 and cause is not None:
        # A body FastAPI could not even parse is invalid JSON too, answered like any other.
        why = {RecursionError: "it is nested too deeply", UnicodeDecodeError: "it is not UTF-8"}
        return invalid(
            [
                {
                    "field": "",
                    "code": "json_invalid",
                    "message": "the body cannot be read as "
                    f"JSON: {why.get(type(cause), 'it cannot be parsed')}",
                }
            ]
        )
    status = exc.status_code
    said = str(exc.detail)
    try:
        generic = said == HTTPStatus(status).phrase
    except ValueError:
        generic = False
    detail = status_title(status) if generic else Bilingual(said, said)
    return ProblemError(status, status_code(status), detail, headers=exc.headers)


def as_problem(exc: Exception) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, RequestValidationError):
        return invalid([field_error(e) for e in exc.errors()])
    if isinstance(exc, DomainRuleError):
        return domain_problem(exc)
    if isinstance(exc, StarletteHTTPException):
        return _http_problem(exc)
    return ProblemError(500, "INTERNAL_ERROR", INTERNAL)  # the server's log has the cause


async def answer(request: Request, exc: Exception) -> Response:
    return as_problem(exc).response(request.headers.get("accept-language"), request.url.path)


def install_problem_answers(app: FastAPI) -> None:
    """Answer every error of `app` as a problem, and say so in its OpenAPI document; the
    unexpected errors are still raised on to the server, which logs them."""
    for kind in (StarletteHTTPException, RequestValidationError, DomainRuleError, Exception):
        app.add_exception_handler(kind, answer)
    document_problems(app)
