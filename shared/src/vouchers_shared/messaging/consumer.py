"""Run a handler for each record of a batch: publish what it returns, retry what fails a bounded
number of times, park what cannot be processed on `<topic>.dlq`.

Every record ends one of three ways, whatever fails (its headers, its body, the handler, the
store, the broker): handled; parked at once (a PermanentError, PoisonMessage among them); or
tried again with backoff and jitter until the RetryPolicy gives up, then parked with the error,
the attempt count and its original headers. A TransientError or a busy store is retried the
same way and within the same bound: an error that repeats while the store and the broker
answer is the record's own (a deterministic error classed as transient would otherwise stall
its partition for good).

The one failure that is never counted: a transient one while the probe finds the store or the
broker not answering. Then the infrastructure is unavailable, not the record bad, and parking
would empty every topic into its dead-letter topic during an outage. Such a record waits with
its partition paused (backoff up to its maximum, no busy loop) for as long as the outage
lasts; other partitions go on as far as they can. A dead letter that cannot be written is such
a wait too: a record is parked or it waits, it is never dropped.

A delivery retries in place while its waits add up to `in_place_s` (a busy store passes in
less). Past that, `process_batch` returns a Rewind for the record's partition: the subscriber
seeks that partition back to its first unsettled record and pauses it for the wait, and the
one commit of the batch takes the rest: other partitions whole, that one up to the record.

Parking is idempotent within a process: records settled (handled or parked) above the point a
partition is rewound to are remembered until the commit passes them, and skipped when they
come again. That memory is lost with the process: a crash or a rebalance between parking and
the commit makes another process try the record again and, if it fails again, park it again.
Each dead letter therefore carries `dlq_id` (service, topic, partition, offset), the same
whichever process writes it, and readers keep the first record of each id (`vouchers dlq`).
Writing the dead letter and the offset as one would need a transactional producer and a
commit per parked record.

A subscriber may also have a folding handler (`Fold`): the whole batch in one call, each
document it touches read once and written once, its events published together. It must leave
the store as handling the records one by one, in order, would; so a batch it cannot finish
(it raised, anything did) is handled again record by record, with the retries and parking
above, and a record already folded in comes again as the idempotent repeat every handler
already takes. A batch holding a record that failed before goes record by record at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import structlog

from vouchers_shared.messaging.backlog import Backlog
from vouchers_shared.messaging.dead_letter import dead_letter_headers
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound, decode_headers, log_context
from vouchers_shared.messaging.publisher import Outgoing, Publisher
from vouchers_shared.messaging.retry import (
    FailureLog,
    Failures,
    InfrastructureProbe,
    Position,
    RetryPolicy,
    is_transient,
)
from vouchers_shared.observability import metrics
from vouchers_shared.topics import dlq_topic

Handler = Callable[[Inbound], Awaitable[Sequence[Outgoing]]]
Fold = Callable[[Sequence[Inbound]], Awaitable[Sequence[Outgoing]]]
Partition = tuple[str, int]  # topic, partition
log = structlog.get_logger()


@dataclass(frozen=True)
class Rewind:
    """Seek `partition` of `topic` back to `offset`, its first unsettled record, and pause it
    for `wait_s`; `outage` when the store or the broker did not answer."""

    topic: str
    partition: int
    offset: int
    wait_s: float
    outage: bool


class RecordProcessor:
    """What happens to each record of a batch; one per service, shared by its subscribers."""

    def __init__(
        self,
        publisher: Publisher,
        service: str,
        policy: RetryPolicy | None = None,
        infrastructure: InfrastructureProbe | None = None,
    ) -> None:
        self._publisher = publisher
        self._service = service
        self._failures = FailureLog(policy or RetryPolicy(), infrastructure)
        self._settled: dict[Partition, set[int]] = {}  # above a rewind point, not committed
        self.backlog = Backlog()  # its subscribers' batches say whether they are behind

    async def process_batch(
        self, records: Sequence[object], handler: Handler, fold: Fold | None = None, group: str = ""
    ) -> list[Rewind]:
        """Handle a batch: folded whole when there is a `fold` and it succeeds; else one
        applicant's records one at a time in their order, applicants side by side. Returns the
        partitions to rewind: those holding a record that is not settled, each back to its
        first such record (an applicant's later records wait behind it)."""
        if fold is not None and await self._fold(records, fold, group):
            return []
        groups: dict[object, list[object]] = {}
        for record in records:
            groups.setdefault(_ordering_key(record), []).append(record)
        held: dict[Partition, Rewind] = {}

        async def in_order(group: list[object]) -> None:
            for index, record in enumerate(group):
                rewind = await self.process(record, handler)
                if rewind is not None:
                    for waiting in group[index:]:
                        _hold(held, rewind, _position(waiting))
                    return

        outcomes = await asyncio.gather(*(in_order(g) for g in groups.values()), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        self._forget_committed(records, held)
        return list(held.values())

    async def _fold(self, records: Sequence[object], fold: Fold, group: str) -> bool:
        """Fold the batch's unsettled records in one call and publish what it returns; False
        (nothing settled) when a record of it failed before or the fold did not finish."""
        todo = [r for r in records if not self._is_settled(_position(r))]
        if not todo or any(self._failures.of(_position(r)) is not None for r in todo):
            return False
        started = time.perf_counter()
        try:
            await publish_all(self._publisher, await fold([_inbound(r) for r in todo]))
        except Exception as exc:
            metrics.BATCHES_FOLDED.labels(group=group, result="fallback").inc()
            log.info("batch_fold_failed", group=group, records=len(todo), error=repr(exc)[:500])
            return False
        metrics.BATCHES_FOLDED.labels(group=group, result="folded").inc()
        share = (time.perf_counter() - started) / len(todo)
        for record in todo:
            topic, partition, offset = _position(record)
            metrics.MESSAGES_HANDLED.labels(topic=topic, result="ok").inc()
            metrics.HANDLER_SECONDS.labels(topic=topic).observe(share)
            self._settled.setdefault((topic, partition), set()).add(offset)
        self._forget_committed(records, {})
        return True

    def _is_settled(self, position: Position) -> bool:
        return position[2] in self._settled.get(position[:2], ())

    async def process(self, record: object, handler: Handler) -> Rewind | None:
        """Settle one record, handled or parked; or say when it should come again."""
        topic, partition, offset = position = _position(record)
        if self._is_settled(position):
            return None  # settled before its partition was rewound
        headers = decode_headers(getattr(record, "headers", ()))
        started = time.perf_counter()
        outcome: Literal["ok", "parked"] | Rewind | None = None
        with log_context(topic, headers):
            try:
                outcome = await self._settle(position, record, handler)
            finally:
                result = outcome if isinstance(outcome, str) else "retry"
                metrics.MESSAGES_HANDLED.labels(topic=topic, result=result).inc()
                metrics.HANDLER_SECONDS.labels(topic=topic).observe(time.perf_counter() - started)
        if isinstance(outcome, Rewind):
            return outcome
        self._failures.drop(position)
        self._settled.setdefault((topic, partition), set()).add(offset)
        return None

    def forget(self, topics: Collection[str], owned: Collection[Partition]) -> None:
        """Drop what is remembered of `topics`' partitions other than `owned`: their records
        are another process's now."""

        def gone(partition: Partition) -> bool:
            return partition[0] in topics and partition not in owned

        self._failures.drop_where(lambda position: gone(position[:2]))
        for partition in [p for p in self._settled if gone(p)]:
            del self._settled[partition]

    async def _settle(
        self, position: Position, record: object, handler: Handler
    ) -> Literal["ok", "parked"] | Rewind:
        failures = self._failures.of(position)
        if failures is not None and failures.park_due:
            return await self._park(position, record, failures)  # its dead letter failed before
        policy, slept = self._failures.policy, 0.0
        while True:
            try:
                await self._run(position, record, handler)
                return "ok"
            except Exception as exc:
                failures, outage = await self._failures.count(position, exc)
            if failures.park_due:
                return await self._park(position, record, failures)
            wait = policy.wait_s(failures.outages if outage else failures.attempts)
            _note_retry(position, failures, outage, wait)
            if slept + wait > policy.in_place_s:
                return Rewind(*position, wait, outage)
            await asyncio.sleep(wait)
            slept += wait

    async def _run(self, position: Position, record: object, handler: Handler) -> None:
        await publish_all(self._publisher, await handler(_inbound(record)))

    async def _park(
        self, position: Position, record: object, failures: Failures
    ) -> Literal["parked"] | Rewind:
        topic, partition, offset = position
        exc = failures.error or RuntimeError("no error recorded")
        headers = dead_letter_headers(
            decode_headers(getattr(record, "headers", ())),
            service=self._service,
            topic=topic,
            partition=partition,
            offset=offset,
            error=exc,
            attempts=failures.attempts,
        )
        try:
            await self._publisher.publish_raw(
                dlq_topic(topic), _key(record), getattr(record, "value", b"") or b"", headers
            )
        except Exception as failed:  # the broker is away: the record waits, it is not dropped
            failures.outages += 1
            log.warning("park_failed", topic=topic, offset=offset, error=repr(failed))
            return Rewind(*position, self._failures.policy.wait_s(failures.outages), outage=True)
        metrics.DLQ_MESSAGES.labels(topic=topic).inc()
        log.error(
            "message_parked",
            topic=topic,
            partition=partition,
            offset=offset,
            error_class=type(exc).__name__,
            error=str(exc)[:500],
            attempts=failures.attempts,
        )
        return "parked"

    def _forget_committed(self, records: Iterable[object], held: dict[Partition, Rewind]) -> None:
        """The commit of this batch passes every record below a rewind point, and the whole
        batch in the partitions not rewound: their settled records will not come again."""
        for partition in {_position(r)[:2] for r in records}:
            rewind = held.get(partition)
            kept = {o for o in self._settled.get(partition, ()) if rewind is not None and o > rewind.offset}
            if kept:
                self._settled[partition] = kept
            else:
                self._settled.pop(partition, None)


async def publish_all(publisher: Publisher, events: Iterable[Outgoing]) -> None:
    """Publish `events`, all in flight at once, and return when the broker has taken every one.
    Events of one key on one topic go in their order, one after the other."""
    chains: dict[tuple[str, str], list[Outgoing]] = {}
    for event in events:
        chains.setdefault((event.topic, event.key), []).append(event)

    async def in_order(chain: list[Outgoing]) -> None:
        for event in chain:
            await publisher.publish(event)

    if len(chains) == 1:
        await in_order(next(iter(chains.values())))
        return
    outcomes = await asyncio.gather(*(in_order(c) for c in chains.values()), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def _inbound(record: object) -> Inbound:
    headers = decode_headers(getattr(record, "headers", ()))
    return Inbound(
        *_position(record),
        _key(record),
        headers,
        getattr(record, "value", b"") or b"",
        Envelope.from_headers(headers),
    )


def _note_retry(position: Position, failures: Failures, outage: bool, wait: float) -> None:
    log.warning(
        "handler_failed",
        topic=position[0],
        partition=position[1],
        offset=position[2],
        attempt=failures.attempts,
        outage=outage,
        retry_in=round(wait, 3),
        error=repr(failures.error),
    )
    if failures.error is not None and is_transient(failures.error):
        metrics.TRANSIENT_RETRIES.labels(topic=position[0]).inc()


def _hold(held: dict[Partition, Rewind], rewind: Rewind, position: Position) -> None:
    """Rewind `position`'s partition at least to it, for at least as long as `rewind` says."""
    topic, partition, offset = position
    before = held.get((topic, partition))
    if before is None:
        held[(topic, partition)] = replace(rewind, topic=topic, partition=partition, offset=offset)
        return
    held[(topic, partition)] = replace(
        before,
        offset=min(offset, before.offset),
        wait_s=max(rewind.wait_s, before.wait_s),
        outage=rewind.outage and before.outage,
    )


def _ordering_key(record: object) -> object:
    """What must be handled in order: one applicant's records (the key), or without a key the
    records of one partition."""
    key = getattr(record, "key", None)
    if key:
        return key
    return (getattr(record, "topic", ""), getattr(record, "partition", -1))


def _key(record: object) -> str | None:
    raw = getattr(record, "key", None)
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw


def _position(record: object) -> Position:
    return (
        str(getattr(record, "topic", "")),
        int(getattr(record, "partition", -1)),
        int(getattr(record, "offset", -1)),
    )
