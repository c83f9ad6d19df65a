"""One error answer for every service: an RFC 9457 problem, `application/problem+json`.

    {"type": "https://vouchers.sz.example/problems/filing-window-closed",
     "title": "不在申报受理时间内", "status": 422, "detail": "申报受理时间为 …",
     "code": "FILING_WINDOW_CLOSED", "instance": "/v1/applications",
     "errors": [{"field": "", "code": "FILING_WINDOW_CLOSED", "message": "filing is open from …"}]}

`code` is stable and never translated: clients branch on it. `type` is the code as a URI, TYPE_BASE
and the code in lower case with hyphens; it names the kind of problem and is not meant to be
fetched. `title` says the kind of problem, `detail` this occurrence, both in Chinese unless the
request's `Accept-Language` prefers English. `instance` is the request path. `errors` lists the
field-level problems (`{"field", "code", "message"}`) on every validation answer (422), and on
another refusal that names a field, so clients written against `{"errors": [...]}` keep working.
Other members (`year`, ...) are extensions of one kind of problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://vouchers.sz.example/problems/"
Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Bilingual:
    """One thing said in Chinese and in English."""

    zh: str
    en: str

    def in_(self, language: Language) -> str:
        return self.en if language == "en" else self.zh


STATUS_TITLES = {
    400: Bilingual("请求无法处理", "Bad request"),
    401: Bilingual("未提供有效凭证", "Unauthorized"),
    403: Bilingual("无权执行此操作", "Forbidden"),
    404: Bilingual("未找到", "Not found"),
    405: Bilingual("不支持该请求方法", "Method not allowed"),
    409: Bilingual("与当前状态冲突", "Conflict"),
    413: Bilingual("请求体过大", "Content too large"),
    415: Bilingual("不支持的内容类型", "Unsupported media type"),
    422: Bilingual("请求内容无效", "Unprocessable content"),
    429: Bilingual("请求过于频繁", "Too many requests"),
    500: Bilingual("服务器内部错误", "Internal server error"),
    503: Bilingual("服务暂不可用", "Service unavailable"),
}
STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "BODY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
}


def status_title(status: int) -> Bilingual:
    if status in STATUS_TITLES:
        return STATUS_TITLES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"HTTP {status}"
    return Bilingual(phrase, phrase)


def status_code(status: int) -> str:
    """The code of a problem nothing more is known of than its HTTP status."""
    return STATUS_CODES.get(status, f"HTTP_{status}")


def problem_type(code: str) -> str:
    return TYPE_BASE + code.lower().replace("_", "-")


def preferred_language(accept_language: str | None) -> Language:
    """`en` when Accept-Language rates English above Chinese (q-values; `*` stands for any
    language not named); Chinese otherwise, and when neither is asked for."""
    named: dict[str, float] = {}
    anything = 0.0
    for part in (accept_language or "").split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        primary = tag.lower().split("-")[0]
        if primary == "*":
            anything = max(anything, q)
        elif primary:
            named[primary] = max(named.get(primary, 0.0), q)
    zh, en = named.get("zh", anything), named.get("en", anything)
    return "en" if en > zh else "zh"


class FieldError(BaseModel):
    """One field-level problem, as the `errors` list has always carried them."""

    field: str = Field(
        description="where, as the client wrote it: `contracts[0].amount_cny`; empty for the body as a whole"
    )
    code: str = Field(description="stable, never translated")
    message: str


class Problem(BaseModel):
    """An error answer (RFC 9457), `application/problem+json`. Other members are extensions
    of one kind of problem."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://vouchers.sz.example/problems/validation-failed",
                    "title": "请求内容无效",
                    "status": 422,
                    "detail": "请求有 1 处不符合要求，详见 errors",
                    "code": "VALIDATION_FAILED",
                    "instance": "/v1/applications",
                    "errors": [
                        {
                            "field": "contracts[0].amount_cny",
                            "code": "string_type",
                            "message": "Input should be a valid string",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(description=f"{TYPE_BASE}<code in lower case, `_` as `-`>")
    title: str = Field(description="the kind of problem, in the language asked for (zh, en)")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="this occurrence, in the language asked for (zh, en)")
    code: str = Field(description="stable, never translated: what clients branch on")
    instance: str = Field(description="the request path")
    errors: list[FieldError] = Field(
        default_factory=list,
        description="field-level problems: on every 422, and on other refusals that name a field",
    )


class ProblemError(HTTPException):
    """An HTTP error answered as a problem; raise it from an endpoint or a dependency."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: Bilingual,
        *,
        title: Bilingual | None = None,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        **extensions: object,
    ) -> None:
        super().__init__(status, detail=detail.en, headers=dict(headers) if headers else None)
        self.code, self.said, self.title = code, detail, title or status_title(status)
        self.errors = [dict(e) for e in errors]
        self.extensions = extensions

    def body(self, language: Language, instance: str) -> dict[str, object]:
        body: dict[str, object] = {**self.extensions}
        body.update(
            {
                "type": problem_type(self.code),
                "title": self.title.in_(language),
                "status": self.status_code,
                "detail": self.said.in_(language),
                "code": self.code,
                "instance": instance,
            }
        )
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self, accept_language: str | None, instance: str) -> JSONResponse:
        language = preferred_language(accept_language)
        headers = {**(self.headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
        return JSONResponse(
            self.body(language, instance),
            status_code=self.status_code,
            headers=headers,
            media_type=PROBLEM_MEDIA_TYPE,
        )


def rate_limited(retry_after: int, detail: Bilingual) -> ProblemError:
    """The 429 of a rate limit, with `Retry-After` (whole seconds)."""
    return ProblemError(429, "RATE_LIMITED", detail, headers={"Retry-After": str(retry_after)})
