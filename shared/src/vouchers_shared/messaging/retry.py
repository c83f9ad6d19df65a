"""When a failing record is tried again, when it is given up, and whether an outage is to blame.

A failure is of the transient kind when it says the store or the broker did not answer or was
busy (`is_transient`). Whether it counts against the record is decided by asking the store
and the broker (`InfrastructureProbe`): if they answer, the error is the record's own and
counts; if not, the infrastructure is away and the attempt is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka.errors import KafkaError
from pymongo.errors import ConnectionFailure, OperationFailure
from tenacity import RetryCallState, Retrying, wait_exponential, wait_random_exponential

from vouchers_shared.errors import PermanentError, TransientError
from vouchers_shared.observability import metrics
from vouchers_shared.settings import CommonSettings

Position = tuple[str, int, int]  # topic, partition, offset
TRANSIENT = (TransientError, ConnectionFailure, KafkaError, OSError, asyncio.TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    """A record is given up after `max_attempts` counted failures, or once it has been failing
    for `budget_s` since its first (waits that follow an outage left out), whichever comes
    first. The wait after the n-th failure is between half and all of
    min(`backoff_max_s`, `backoff_first_s` * 2**(n-1)), the half above the floor random
    ("equal jitter"). A delivery sleeps in place while its waits add up to `in_place_s`; a
    longer wait is spent with the record's partition paused."""

    max_attempts: int = 8
    budget_s: float = 120.0
    backoff_first_s: float = 0.2
    backoff_max_s: float = 30.0
    in_place_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> RetryPolicy:
        return cls(
            max_attempts=settings.consumer_max_attempts,
            budget_s=settings.consumer_retry_budget_s,
            backoff_first_s=settings.consumer_backoff_first_s,
            backoff_max_s=settings.consumer_backoff_max_s,
            in_place_s=settings.consumer_retry_in_place_s,
        )

    def gives_up(self, attempts: int, failing_for_s: float) -> bool:
        return attempts >= self.max_attempts or failing_for_s >= self.budget_s

    def wait_s(self, failures: int) -> float:
        """The wait after the `failures`-th failure, jitter included (tenacity's strategies)."""
        half_first, half_max = self.backoff_first_s / 2, self.backoff_max_s / 2
        strategy = wait_exponential(multiplier=half_first, max=half_max) + wait_random_exponential(
            multiplier=half_first, max=half_max
        )
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = max(1, failures)
        return float(strategy(state))


class InfrastructureProbe:
    """Whether the store and the broker answer. Asked at most once per `ttl_s`, and callers
    arriving while it is being asked share the answer: an outage fails many records at once."""

    def __init__(self, check: Callable[[], Awaitable[bool]], ttl_s: float = 2.0) -> None:
        self._check = check
        self._ttl_s = ttl_s
        self._answer: tuple[float, bool] | None = None
        self._asking: asyncio.Task[bool] | None = None

    async def answers(self) -> bool:
        if self._answer is not None and time.monotonic() - self._answer[0] < self._ttl_s:
            return self._answer[1]
        if self._asking is None:
            self._asking = asyncio.create_task(self._ask())
        return await asyncio.shield(self._asking)

    async def _ask(self) -> bool:
        try:
            answered = bool(await self._check())
        except Exception:  # a check that fails says no as plainly as one that says no
            answered = False
        self._answer = (time.monotonic(), answered)
        self._asking = None
        return answered


@dataclass
class Failures:
    """What one record's failures add up to."""

    attempts: int = 0  # counted: the store and the broker answered
    outages: int = 0  # not counted: they did not
    failing_s: float = 0.0  # time since the first counted failure, less the waits after outages
    error: BaseException | None = None  # the last one, for the dead letter
    park_due: bool = False  # given up; the dead letter is still to be written
    last_at: float | None = None  # monotonic time of the last failure
    last_was_outage: bool = False

    def note(self, error: BaseException, *, outage: bool) -> None:
        now = time.monotonic()
        if self.last_at is not None and not self.last_was_outage:
            self.failing_s += now - self.last_at
        self.last_at, self.last_was_outage, self.error = now, outage, error
        if outage:
            self.outages += 1
        else:
            self.attempts += 1


class FailureLog:
    """The failures of records not settled yet, by position (topic, partition, offset)."""

    def __init__(self, policy: RetryPolicy, infrastructure: InfrastructureProbe | None) -> None:
        self.policy = policy
        self._infrastructure = infrastructure  # None: every failure counts
        self._failures: dict[Position, Failures] = {}

    def of(self, position: Position) -> Failures | None:
        return self._failures.get(position)

    def drop(self, position: Position) -> None:
        self._failures.pop(position, None)

    def drop_where(self, gone: Callable[[Position], bool]) -> None:
        for position in [p for p in self._failures if gone(p)]:
            del self._failures[position]

    async def count(self, position: Position, exc: BaseException) -> tuple[Failures, bool]:
        """Note a failure; True with it when it is an outage's, not the record's."""
        failures = self._failures.setdefault(position, Failures())
        if isinstance(exc, PermanentError):
            failures.note(exc, outage=False)
            failures.park_due = True
            return failures, False
        outage = (
            is_transient(exc)
            and self._infrastructure is not None
            and not await self._infrastructure.answers()
        )
        failures.note(exc, outage=outage)
        if not outage and self.policy.gives_up(failures.attempts, failures.failing_s):
            failures.park_due = True
            metrics.RETRIES_EXHAUSTED.labels(topic=position[0]).inc()
        return failures, outage


def is_transient_store_error(exc: BaseException) -> bool:
    """Mongo errors worth retrying (the server is away or busy) versus refusals."""
    if isinstance(exc, ConnectionFailure):
        return True
    if not isinstance(exc, OperationFailure):
        return False
    return (
        exc.has_error_label("RetryableWriteError")
        or exc.has_error_label("TransientTransactionError")
        or exc.code in _BUSY_CODES
        or "database is locked" in str(exc)
    )


def is_transient(exc: BaseException) -> bool:
    """Trouble that may pass by itself: not counted against the record while the store or
    the broker does not answer, counted like any failure while they do."""
    return isinstance(exc, TRANSIENT) or is_transient_store_error(exc)


# Server busy or stepping down (MongoDB), and the local store's lock timeout (reported as
# an InternalError whose message says "database is locked").
_BUSY_CODES = frozenset({6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})
