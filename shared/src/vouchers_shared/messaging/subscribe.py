"""Declaring a subscriber: raw records in, our processor decides ack, retry or dead-letter."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, cast

import structlog
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from vouchers_shared.messaging.consumer import Fold, Handler, RecordProcessor, Rewind
from vouchers_shared.observability import metrics
from vouchers_shared.observability.catalog import document_dead_letters

log = structlog.get_logger()

# Stated per subscriber as well as on the broker: an error leaves the offset uncommitted, so
# the record is delivered again (after a seek), never lost as with ACK_FIRST's auto-commit.
SUBSCRIBER_ACK_POLICY = AckPolicy.NACK_ON_ERROR
# How long a poll waits for records when there are none; records that are there come at once.
BATCH_WAIT_MS = 200
# How long the broker holds a fetch that finds nothing (it answers as soon as a record comes):
# with nothing to do, each consumer asks every two seconds rather than aiokafka's twice a
# second. Each such fetch names every partition the consumer holds (aiokafka has no fetch
# sessions), and answering them was most of an idle broker's work.
IDLE_FETCH_WAIT_MS = 2000
# How long the broker may hold a fetch while batches come (`FetchPace`). aiokafka has one fetch
# at a time in flight to a broker, and while some partitions' records wait to be handled it asks
# only for the others: when those have nothing, the broker holds that fetch its full wait, and
# the busy partitions, handled meanwhile, are not asked for again until it returns. With the idle
# wait a consumer catching up on a few partitions stood still up to two seconds in every three.
BUSY_FETCH_WAIT_MS = BATCH_WAIT_MS
# A consumer that had no batch for this long is quiet again, and its fetches wait the idle wait.
QUIET_AFTER_S = 5.0
# A batch of fewer records than a quarter of the most a poll takes is followed by a pause this
# long before the next poll, so that records coming at a steady pace come in fuller batches. A
# batch costs a fetch, a commit and its handler's reads and writes whatever its size, and a
# consumer that keeps up takes the few records that came since its last batch: with two
# processes of each on two cores the checks took 6 to 10 records at a time. A record that comes
# during the pause waits at most that long; a backlog comes in full batches, which never pause.
SMALL_BATCH_PAUSE_S = 0.1
# How much of each partition a fetch may bring ahead of the handler. aiokafka keeps what it
# fetched until it is handled, up to this per partition: with its default of 1 MiB a consumer of
# six topics of 12 partitions held up to 72 MiB of records in a backlog, with 256 KiB up to 18
# MiB. An eighth of the default is still several of the biggest records (a filing) per partition
# and dozens of the others, more than a batch of 100 from 72 partitions takes of each. It is not
# a cap on a record's size: the broker leaves out a partition whose next record is bigger, and
# returns it whole once that partition comes first in a fetch (aiokafka shuffles their order on
# every fetch).
PARTITION_FETCH_BYTES = 128 * 1024


class FetchPace:
    """How long the broker may hold a consumer's fetches: `BUSY_FETCH_WAIT_MS` from a batch on,
    `IDLE_FETCH_WAIT_MS` again once no batch came for `quiet_after_s`. aiokafka reads the wait
    from its fetcher for each fetch it sends and has no public way to change it after start."""

    def __init__(self, quiet_after_s: float = QUIET_AFTER_S) -> None:
        self._quiet_after_s = quiet_after_s
        self._quiet: asyncio.TimerHandle | None = None

    def busy(self, consumer: Any) -> None:
        """A batch came: short waits until the consumer has been quiet for a while."""
        fetcher = getattr(consumer, "_fetcher", None)
        if fetcher is None:  # not started, or FastStream's in-memory test broker
            return
        fetcher._fetch_max_wait_ms = BUSY_FETCH_WAIT_MS
        if self._quiet is not None:
            self._quiet.cancel()
        self._quiet = asyncio.get_running_loop().call_later(self._quiet_after_s, _idle, fetcher)


def _idle(fetcher: Any) -> None:
    fetcher._fetch_max_wait_ms = IDLE_FETCH_WAIT_MS


class Partitions(Protocol):
    """What the subscriber does with its consumer's partitions (AIOKafkaConsumer has these)."""

    def seek(self, partition: Any, offset: int) -> None: ...
    def pause(self, *partitions: Any) -> None: ...
    def resume(self, *partitions: Any) -> None: ...
    def assignment(self) -> set[Any]: ...


class _Unassigned:
    """A consumer that has no partitions of its own (FastStream's in-memory test broker): it
    owns the partitions of the records it hands over, and has nothing to seek, pause or resume."""

    def __init__(self, records: Sequence[Any]) -> None:
        self._owned = {TopicPartition(r.topic, r.partition) for r in records}

    def seek(self, partition: Any, offset: int) -> None:
        pass

    def pause(self, *partitions: Any) -> None:
        pass

    def resume(self, *partitions: Any) -> None:
        pass

    def assignment(self) -> set[Any]:
        return self._owned


async def settle_batch(
    processor: RecordProcessor,
    handler: Handler,
    topics: Sequence[str],
    records: Sequence[Any],
    consumer: Partitions,
    fold: Fold | None = None,
    group: str = "",
) -> None:
    """Process a batch, then rewind and pause the partitions left holding a record that must
    come again. The subscriber's ack then commits the consumer's positions: the whole batch in
    every other partition, and each rewound one up to its first record still to do."""
    processor.forget(topics, {(tp.topic, tp.partition) for tp in consumer.assignment()})
    hold_back(consumer, await processor.process_batch(records, handler, fold, group))


def hold_back(consumer: Partitions, rewinds: Sequence[Rewind]) -> None:
    """Seek each partition back and pause it; it is resumed when its wait is over (unless it
    went to another process meanwhile; a partition assigned again starts unpaused)."""
    loop, owned = asyncio.get_running_loop(), consumer.assignment()
    for rewind in rewinds:
        partition = TopicPartition(rewind.topic, rewind.partition)
        if partition not in owned:
            continue  # revoked during the batch: the new owner starts from the last commit
        consumer.seek(partition, rewind.offset)
        consumer.pause(partition)
        loop.call_later(rewind.wait_s, _resume, consumer, partition)
        cause = "outage" if rewind.outage else "record"
        metrics.PARTITION_PAUSES.labels(topic=rewind.topic, cause=cause).inc()
        log.info(
            "partition_paused",
            topic=rewind.topic,
            partition=rewind.partition,
            offset=rewind.offset,
            wait_s=round(rewind.wait_s, 3),
            cause=cause,
        )


def _resume(consumer: Partitions, partition: Any) -> None:
    if partition in consumer.assignment():
        consumer.resume(partition)


async def raw_bodies(message: KafkaMessage) -> list[bytes]:
    """Hand the handler the bytes; our processor parses them so poison cannot jam the partition."""
    return [bytes(record.value or b"") for record in message.raw_message]


class _OnRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Calls `changed` whenever partitions are taken from or given to this consumer, then
    `assigned` with the partition numbers it holds from now on (before any record of them)."""

    def __init__(
        self, changed: Callable[[], None], assigned: Callable[[set[int]], Awaitable[None]] | None
    ) -> None:
        self._changed, self._assigned = changed, assigned

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self._changed()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._changed()
        if self._assigned is not None:
            await self._assigned({tp.partition for tp in assigned})


def consume(
    broker: KafkaBroker,
    *topics: str,
    group_id: str,
    processor: Callable[[], RecordProcessor],
    handler: Callable[[], Handler],
    title: str,
    description: str,
    max_poll_records: int = 100,
    fold: Callable[[], Fold] | None = None,
    rebalanced: Callable[[], None] | None = None,
    assigned: Callable[[set[int]], Awaitable[None]] | None = None,
    small_batch_pause_s: float = SMALL_BATCH_PAUSE_S,
) -> None:
    """Subscribe `handler` to `topics` in `group_id`; deps are resolved at run time, not import.

    Every topic has the same partition count and is keyed by applicant USCC, so the range
    assignor gives one replica the same partition of each topic: one applicant's events, of
    whatever topic, are handled one at a time by one process. Records come in batches of up to
    `max_poll_records`: different applicants' records are handled side by side, one
    applicant's in order, and the batch is committed once, when every record of it is settled
    or waits in a partition rewound to it (see `settle_batch`).

    With `fold`, a batch is first handed whole to the folding handler (see `RecordProcessor`).
    `rebalanced` is called whenever the group moves partitions to or from this consumer: what a
    handler keeps in memory of its partitions' documents is no longer its own to trust.
    `assigned` is then awaited with the partition numbers the consumer holds, before it reads
    any of their records. A batch of fewer than a quarter of `max_poll_records` is followed by
    a pause of `small_batch_pause_s` before the next poll (see `SMALL_BATCH_PAUSE_S`).
    """

    pace = FetchPace()

    async def on_batch(bodies: list[bytes], message: KafkaMessage) -> None:
        consumer = message.consumer
        pace.busy(consumer)
        fetching = hasattr(consumer, "assignment")  # not FastStream's in-memory test broker
        partitions = cast(Partitions, consumer) if fetching else _Unassigned(message.raw_message)
        folding = fold() if fold is not None else None
        records, processing = message.raw_message, processor()
        metrics.BATCH_RECORDS.labels(group=group_id).observe(len(records))
        processing.backlog.batch(len(records), max_poll_records)
        await settle_batch(processing, handler(), topics, records, partitions, folding, group_id)
        if fetching and len(records) < max_poll_records // 4:
            await asyncio.sleep(small_batch_pause_s)

    document_dead_letters(broker, group_id, topics)
    broker.subscriber(
        *topics,
        group_id=group_id,
        decoder=raw_bodies,
        ack_policy=SUBSCRIBER_ACK_POLICY,
        auto_offset_reset="earliest",
        batch=True,
        max_records=max_poll_records,
        batch_timeout_ms=BATCH_WAIT_MS,
        fetch_max_wait_ms=IDLE_FETCH_WAIT_MS,
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        partition_assignment_strategy=(RangePartitionAssignor,),
        listener=_OnRebalance(rebalanced, assigned) if rebalanced is not None else None,
        title=title,
        description=description,
    )(on_batch)
