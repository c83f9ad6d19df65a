"""Problems in a service's OpenAPI document: `components/schemas/Problem`, and every error answer
of every operation as `application/problem+json`.

Besides what a route declares (`problem_responses`), an operation needing a token answers 401
and 403, one taking input 422, and one taking a body 413 (the body limit of every service). An
error answer a route declares with a body of its own keeps it (the readiness probe's 503).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from vouchers_shared.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem, status_title

SCHEMAS_REF = "#/components/schemas/{model}"
PROBLEM = {"$ref": SCHEMAS_REF.format(model="Problem")}
DESCRIPTIONS = {
    401: "No bearer token, or not a valid one (codes TOKEN_MISSING, TOKEN_INVALID)",
    403: "The token's role may not do this (ROLE_NOT_ALLOWED)",
    413: "The request body is over the limit (BODY_TOO_LARGE)",
    422: "The request is not valid (VALIDATION_FAILED, `errors` lists every problem)",
    429: "Too many requests (RATE_LIMITED); `Retry-After` says when to try again",
}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}},
}
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def problem_responses(
    *statuses: int, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering these statuses with a problem; `described` says more
    of a status than its title does (which codes, when)."""
    return {status: _problem_response(status, (described or {}).get(status)) for status in statuses}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description or DESCRIPTIONS.get(status, status_title(status).en),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM}},
    }
    if status in HEADERS:
        answer["headers"] = HEADERS[status]
    return answer


def document_problems(app: FastAPI) -> None:
    """Make `app.openapi()` describe every error answer as a problem."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with_problems(build())
        return build()

    app.openapi = openapi  # type: ignore[method-assign]


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(Problem, "serialization"), (FieldError, "serialization")], ref_template=SCHEMAS_REF
    )
    schemas.update(definitions["$defs"])
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            _error_answers(operation)
    for name in FASTAPI_VALIDATION:
        schemas.pop(name, None)
    return document


def _error_answers(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    implied = [
        *((401, 403) if operation.get("security") else ()),
        *((413,) if "requestBody" in operation else ()),
        *((422,) if operation.get("parameters") or "requestBody" in operation else ()),
    ]
    for status in implied:
        responses.setdefault(str(status), {})
    for status, answer in responses.items():
        if status.startswith(("4", "5")) and not _answered_otherwise(answer):
            declared = answer.get("description")
            fastapi_default = declared in (None, "Validation Error")
            responses[status] = _problem_response(int(status), None if fastapi_default else declared)


def _answered_otherwise(answer: dict[str, Any]) -> bool:
    """An error answer the route gives a body of its own (readiness's 503 names what is down)."""
    content = answer.get("content") or {}
    schemas = [c.get("schema", {}).get("$ref", "") for c in content.values()]
    return (
        bool(content)
        and PROBLEM_MEDIA_TYPE not in content
        and not any(ref.endswith("/HTTPValidationError") for ref in schemas)
    )
