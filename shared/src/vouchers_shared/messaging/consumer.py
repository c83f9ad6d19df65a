"""Run a handler for each record: publish what it returns, retry transient errors, park poison."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import structlog
from aiokafka.errors import KafkaError
from pymongo.errors import ConnectionFailure, OperationFailure

from vouchers_shared.errors import PermanentError, TransientError
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound, decode_headers
from vouchers_shared.messaging.publisher import Outgoing, Publisher
from vouchers_shared.observability import metrics
from vouchers_shared.observability.logging import mask_text
from vouchers_shared.topics import dlq_topic

Handler = Callable[[Inbound], Awaitable[Sequence[Outgoing]]]
TRANSIENT = (TransientError, ConnectionFailure, KafkaError, OSError, asyncio.TimeoutError)
log = structlog.get_logger()
REFDATA_PREFIX = "vouchers.refdata."


class RecordProcessor:
    """Exactly what happens to one record; the subscriber acks after `process` returns."""

    def __init__(
        self,
        publisher: Publisher,
        service: str,
        *,
        max_attempts: int = 3,
        transient_budget_s: float = 30.0,
        backoff_cap_s: float = 5.0,
    ) -> None:
        self._publisher = publisher
        self._service = service
        self._max_attempts = max_attempts
        self._transient_budget_s = transient_budget_s
        self._backoff_cap_s = backoff_cap_s
        self._attempts: dict[tuple[str, int, int], int] = {}

    async def process_batch(self, records: Sequence[object], handler: Handler) -> None:
        """Handle a batch: one applicant's records one at a time in their order, applicants side
        by side. Raises (after every group has settled) if any record must come again; the
        subscriber then rewinds the batch, and the records already handled are handled again as
        the idempotent no-ops they are then."""
        groups: dict[object, list[object]] = {}
        for record in records:
            groups.setdefault(_ordering_key(record), []).append(record)

        async def in_order(group: list[object]) -> None:
            for record in group:
                await self.process(record, handler)

        outcomes = await asyncio.gather(*(in_order(g) for g in groups.values()),
                                        return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def process(self, record: object, handler: Handler) -> None:
        """Handle one record; raises only for transient trouble, so the record comes again."""
        topic = str(getattr(record, "topic", ""))
        headers = decode_headers(getattr(record, "headers", ()))
        subject = None if topic.startswith(REFDATA_PREFIX) else headers.get("ce_subject")
        started = time.perf_counter()
        result = "retry"
        with structlog.contextvars.bound_contextvars(
            application_id=subject, event_id=headers.get("ce_id"),
            correlation_id=headers.get("correlation_id"),
        ):
            try:
                result = await self._handle(record, handler)
            finally:
                metrics.MESSAGES_HANDLED.labels(topic=topic, result=result).inc()
                metrics.HANDLER_SECONDS.labels(topic=topic).observe(time.perf_counter() - started)

    async def _handle(self, record: object, handler: Handler) -> str:
        """`ok` or `parked`; raises for anything that should make the record come again."""
        topic, partition, offset = _position(record)
        headers = decode_headers(getattr(record, "headers", ()))
        body = getattr(record, "value", b"") or b""
        key_raw = getattr(record, "key", None)
        key = key_raw.decode(errors="replace") if isinstance(key_raw, bytes) else key_raw
        slot = (topic, partition, offset)
        outcome = "ok"
        try:
            inbound = Inbound(topic, partition, offset, key, headers, body,
                              Envelope.from_headers(headers))
            await self._run_with_backoff(inbound, handler)
        except PermanentError as exc:
            await self._park(topic, key, body, headers, exc, self._attempts.get(slot, 0) + 1)
            outcome = "parked"
        except Exception as exc:  # a bug or an unforeseen input: a few tries, then park it
            if is_transient(exc):
                raise
            attempts = self._attempts.get(slot, 0) + 1
            self._attempts[slot] = attempts
            if attempts < self._max_attempts:
                log.warning("handler_failed", topic=topic, offset=offset, attempt=attempts,
                            error=repr(exc))
                raise
            await self._park(topic, key, body, headers, exc, attempts)
            outcome = "parked"
        self._attempts.pop(slot, None)
        return outcome

    async def _run_with_backoff(self, inbound: Inbound, handler: Handler) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._transient_budget_s
        delay = 0.1
        while True:
            try:
                for event in await handler(inbound):
                    await self._publisher.publish(event)
                return
            except Exception as exc:
                if not is_transient(exc) or loop.time() + delay > deadline:
                    raise
                log.warning("transient_error", topic=inbound.topic, error=repr(exc), retry_in=delay)
                metrics.TRANSIENT_RETRIES.labels(topic=inbound.topic).inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff_cap_s)

    async def _park(
        self, topic: str, key: str | None, body: bytes, headers: dict[str, str],
        exc: BaseException, attempts: int,
    ) -> None:
        dlq_headers = {
            **headers,
            "dlq_error": mask_text(str(exc))[:2000],  # read by operators, kept for days
            "dlq_error_class": type(exc).__name__,
            "dlq_attempts": str(attempts),
            "dlq_original_topic": topic,
            "dlq_service": self._service,
            "dlq_at": datetime.now(UTC).isoformat(),
        }
        await self._publisher.publish_raw(dlq_topic(topic), key, body, dlq_headers)
        metrics.DLQ_MESSAGES.labels(topic=topic).inc()
        log.error("message_parked", topic=topic, error_class=type(exc).__name__,
                  error=str(exc)[:500], attempts=attempts)


def _ordering_key(record: object) -> object:
    """What must be handled in order: one applicant's records (the key), or without a key the
    records of one partition."""
    key = getattr(record, "key", None)
    if key:
        return key
    return (getattr(record, "topic", ""), getattr(record, "partition", -1))


def _position(record: object) -> tuple[str, int, int]:
    return (
        str(getattr(record, "topic", "")),
        int(getattr(record, "partition", -1)),
        int(getattr(record, "offset", -1)),
    )


def is_transient_store_error(exc: BaseException) -> bool:
    """Mongo errors worth retrying (the server is away or busy) versus refusals."""
    if isinstance(exc, ConnectionFailure):
        return True
    if not isinstance(exc, OperationFailure):
        return False
    return (exc.has_error_label("RetryableWriteError")
            or exc.has_error_label("TransientTransactionError")
            or exc.code in _BUSY_CODES or "database is locked" in str(exc))


def is_transient(exc: BaseException) -> bool:
    """Trouble that passes by itself: the record is tried again, never parked for it."""
    return isinstance(exc, TRANSIENT) or is_transient_store_error(exc)


# Server busy or stepping down (MongoDB), and the local store's lock timeout (reported as
# an InternalError whose message says "database is locked").
_BUSY_CODES = frozenset({6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})
