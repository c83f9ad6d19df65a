"""Submissions per token (SUBMISSIONS_PER_MINUTE_PER_TOKEN), on the shared token-bucket limiter.

Past the rate intake answers a `429` problem, code RATE_LIMITED, with `Retry-After`.
"""

from __future__ import annotations

from vouchers_shared.problems import Bilingual, ProblemError, rate_limited
from vouchers_shared.rate_limit import RateLimiter


def refusal(limiter: RateLimiter, subject: str) -> ProblemError | None:
    """None if `subject` may submit now; else the 429 to raise, with Retry-After."""
    retry_after = limiter.retry_after(subject)
    if retry_after is None:
        return None
    n = limiter.per_minute
    return rate_limited(
        retry_after,
        Bilingual(
            f"每个令牌每分钟至多提交 {n} 份申请，请 {retry_after} 秒后再试",
            f"at most {n} submissions a minute per token; try again in {retry_after} s",
        ),
    )
