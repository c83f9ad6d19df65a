"""Reading topics by assignment, outside any subscription (`vouchers dlq`, `vouchers
carry-over`): which partitions topics have, and a partition's records up to a given end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from vouchers_shared.messaging.kafka import admin_options
from vouchers_shared.settings import CommonSettings


async def partitions(settings: CommonSettings, topics: Iterable[str]) -> dict[str, list[TopicPartition]]:
    """The partitions of each of `topics` that exists, asked of the cluster (a consumer that has
    not subscribed to a topic knows none of its partitions)."""
    admin = AIOKafkaAdminClient(**admin_options(settings))
    await admin.start()
    try:
        present = sorted(set(topics) & set(await admin.list_topics()))
        described = await admin.describe_topics(present) if present else []
    finally:
        await admin.close()
    return {
        str(d["topic"]): sorted(TopicPartition(str(d["topic"]), int(p["partition"])) for p in d["partitions"])
        for d in described
    }


async def records_until(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> AsyncIterator[Any]:
    """The records of an assigned partition from the consumer's position up to `end` (the end
    offset when the reading began: what is written meanwhile is left for another time)."""
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=2000, max_records=500)
        for record in batch.get(tp, []):
            if record.offset >= end:
                return
            yield record
