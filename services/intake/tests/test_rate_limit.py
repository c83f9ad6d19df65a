"""Past its submissions a minute a token is answered 429 in intake's documented error shape."""

import json

from intake.rate_limit import refusal
from vouchers_shared.rate_limit import RateLimiter


def test_the_refusal_is_429_in_the_documented_shape_with_retry_after() -> None:
    limiter = RateLimiter(2, clock=lambda: 1000.0)
    assert refusal(limiter, "submitter:A") is None
    assert refusal(limiter, "submitter:A") is None
    refused = refusal(limiter, "submitter:A")
    assert refused is not None
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    (error,) = json.loads(bytes(refused.body))["errors"]
    assert error["code"] == "RATE_LIMITED"
    assert set(error) == {"field", "code", "message"}
