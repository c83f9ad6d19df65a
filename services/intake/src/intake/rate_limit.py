"""Submissions per token (SUBMISSIONS_PER_MINUTE_PER_TOKEN), on the shared token-bucket limiter.

Past the rate intake answers `429` in its documented shape, with `Retry-After`.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from vouchers_shared.rate_limit import RateLimiter

from intake.http_errors import errors_response


def refusal(limiter: RateLimiter, subject: str) -> JSONResponse | None:
    """None if `subject` may submit now; else the 429 answer, with Retry-After."""
    retry_after = limiter.retry_after(subject)
    if retry_after is None:
        return None
    response = errors_response(429, [{
        "field": "", "code": "RATE_LIMITED",
        "message": f"at most {limiter.per_minute} submissions a minute per token; "
                   f"try again in {retry_after} s"}])
    response.headers["Retry-After"] = str(retry_after)
    return response
