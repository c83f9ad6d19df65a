"""Past its submissions a minute a token is answered a 429 problem, code RATE_LIMITED, with
Retry-After."""

from intake.rate_limit import refusal
from vouchers_shared.rate_limit import RateLimiter


def test_the_refusal_is_a_429_problem_with_retry_after() -> None:
    limiter = RateLimiter(2, clock=lambda: 1000.0)
    assert refusal(limiter, "submitter:A") is None
    assert refusal(limiter, "submitter:A") is None
    refused = refusal(limiter, "submitter:A")
    assert refused is not None
    assert refused.status_code == 429
    assert refused.headers == {"Retry-After": "30"}
    body = refused.body("en", "/v1/applications")
    assert body["code"] == "RATE_LIMITED"
    assert body["detail"] == "at most 2 submissions a minute per token; try again in 30 s"
    assert "30 秒后" in str(refused.body("zh", "/v1/applications")["detail"])
