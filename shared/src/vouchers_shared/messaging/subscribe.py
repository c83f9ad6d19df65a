"""Declaring a subscriber: raw records in, our processor decides ack, retry or dead-letter."""

from __future__ import annotations

from collections.abc import Callable

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from vouchers_shared.messaging.consumer import Handler, RecordProcessor
from vouchers_shared.observability.catalog import document_dead_letters

# Stated per subscriber as well as on the broker: an error leaves the offset uncommitted, so
# the record is delivered again (after a seek), never lost as with ACK_FIRST's auto-commit.
SUBSCRIBER_ACK_POLICY = AckPolicy.NACK_ON_ERROR
# How long a poll waits for records when there are none; records that are there come at once.
BATCH_WAIT_MS = 200


async def raw_bodies(message: KafkaMessage) -> list[bytes]:
    """Hand the handler the bytes; our processor parses them so poison cannot jam the partition."""
    return [bytes(record.value or b"") for record in message.raw_message]


def consume(
    broker: KafkaBroker,
    *topics: str,
    group_id: str,
    processor: Callable[[], RecordProcessor],
    handler: Callable[[], Handler],
    title: str,
    description: str,
    max_poll_records: int = 100,
) -> None:
    """Subscribe `handler` to `topics` in `group_id`; deps are resolved at run time, not import.

    Every topic has the same partition count and is keyed by applicant USCC, so the range
    assignor gives one replica the same partition of each topic: one applicant's events, of
    whatever topic, are handled one at a time by one process. Records come in batches of up to
    `max_poll_records`: different applicants' records are handled side by side, one
    applicant's in order, and the batch is committed once every record of it is done.
    """

    async def on_batch(bodies: list[bytes], message: KafkaMessage) -> None:
        await processor().process_batch(message.raw_message, handler())

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
        partition_assignment_strategy=(RangePartitionAssignor,),
        title=title,
        description=description,
    )(on_batch)
