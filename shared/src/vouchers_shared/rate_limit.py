"""Requests per subject (a token, a client address, a contact): a token bucket per subject.

Each subject's bucket holds at most a minute's worth of requests and refills continuously at
that rate, so a client may send its minute's worth at once and then keeps the steady rate. The
buckets live in the process: with several replicas behind a balancer each replica grants the
rate on its own, which bounds a flood without a shared store on the request path. Each
service answers a refusal in its own error shape, with `Retry-After: retry_after(...)`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_subjects: int = 100_000
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._max_subjects = max_subjects
        self._buckets: dict[str, _Bucket] = {}

    def wait_s(self, subject: str) -> float:
        """Take one request from `subject`'s bucket: 0 if it may go ahead, else the seconds
        until the bucket holds one again (nothing is taken then)."""
        now = self._clock()
        bucket = self._buckets.get(subject)
        if bucket is None:
            self._forget_full(now)
            bucket = self._buckets[subject] = _Bucket(float(self.per_minute), now)
        bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate

    def retry_after(self, subject: str) -> int | None:
        """None if `subject` may go ahead now (one request taken); else the whole seconds to
        wait, at least 1, for a `Retry-After` header."""
        wait = self.wait_s(subject)
        return None if wait <= 0 else max(math.ceil(wait), 1)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (a full bucket is the same as none) when too many."""
        if len(self._buckets) < self._max_subjects:
            return
        full_after = self.per_minute / self._rate
        self._buckets = {s: b for s, b in self._buckets.items() if now - b.at < full_after}
        while len(self._buckets) >= self._max_subjects:  # all recent: the oldest go first
            del self._buckets[next(iter(self._buckets))]
