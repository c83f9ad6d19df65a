"""Copying what the topics of an earlier version still hold for their readers onto the topics
of their stream now (`vouchers carry-over`), for an upgrade across a topic version.

Run with the services stopped, before those of the new version start: nothing writes to the old
topics any more, and what is copied lands ahead of anything the new version publishes, each
applicant's records in their order (same key, same partitioner, one partition at a time). A
partition is copied from the earliest position any consumer group committed on it (from its
start where none did) to its end; handlers apply each event id once, so a record some group had
already handled is skipped by that group. The copy's own position is committed under its own
group, so running it again copies only what came since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from vouchers_shared.messaging.inbound import decode_headers
from vouchers_shared.messaging.kafka import MAX_MESSAGE_BYTES, admin_options
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.messaging.reading import partitions, records_until
from vouchers_shared.settings import CommonSettings

GROUP = "vouchers-carry-over"
CARRIED_FROM = "carried_from"
"""The header a copied record gains: the topic, partition and offset it was copied from."""


@dataclass(frozen=True)
class Carried:
    """What was copied from one old topic."""

    source: str
    target: str
    records: int


async def carry_over(settings: CommonSettings, routes: Mapping[str, str]) -> list[Carried]:
    """Copy each old topic of `routes` (old → new) that exists onto its new topic."""
    positions = await _earliest_committed(settings, set(routes))
    existing = await partitions(settings, routes)
    done = []
    async with StandalonePublisher(settings) as publisher:
        consumer = AIOKafkaConsumer(
            **admin_options(settings),
            group_id=GROUP,
            enable_auto_commit=False,
            max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
        )
        await consumer.start()
        try:
            for source, target in routes.items():
                count = 0
                for tp in existing.get(source, []):
                    count += await _copy(consumer, publisher, tp, target, positions.get(tp))
                done.append(Carried(source, target, count))
        finally:
            await consumer.stop()
    return done


async def _copy(
    consumer: AIOKafkaConsumer,
    publisher: StandalonePublisher,
    tp: TopicPartition,
    target: str,
    readers_at: int | None,
) -> int:
    consumer.assign([tp])
    own = await consumer.committed(tp)
    (start,) = (await consumer.beginning_offsets([tp])).values()
    start = max(start, readers_at or 0, own or 0)
    (end,) = (await consumer.end_offsets([tp])).values()
    consumer.seek(tp, start)
    count = 0
    async for record in records_until(consumer, tp, end):
        headers = {
            **decode_headers(record.headers),
            CARRIED_FROM: f"{tp.topic}:{tp.partition}:{record.offset}",
        }
        key = record.key.decode() if record.key is not None else None
        await publisher.publish_raw(target, key, record.value or b"", headers)
        count += 1
    await consumer.commit({tp: OffsetAndMetadata(end, "")})
    return count


async def _earliest_committed(settings: CommonSettings, sources: set[str]) -> dict[TopicPartition, int]:
    """The earliest position any consumer group (the copy's own left out) committed on each
    partition of the old topics."""
    admin = AIOKafkaAdminClient(**admin_options(settings))
    await admin.start()
    try:
        earliest: dict[TopicPartition, int] = {}
        for group, _protocol in await admin.list_consumer_groups():
            if group == GROUP:
                continue
            offsets = await admin.list_consumer_group_offsets(group)
            for tp, committed in offsets.items():
                if tp.topic in sources and committed.offset >= 0:
                    earliest[tp] = min(earliest.get(tp, committed.offset), committed.offset)
        return earliest
    finally:
        await admin.close()
