"""Reading and replaying a dead-letter topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from vouchers_shared.messaging.inbound import decode_headers
from vouchers_shared.messaging.kafka import admin_options
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.settings import CommonSettings
from vouchers_shared.topics import dlq_topic


@dataclass(frozen=True)
class Parked:
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str]
    body: bytes

    def original_headers(self) -> dict[str, str]:
        kept = {k: v for k, v in self.headers.items() if not k.startswith("dlq_")}
        kept["dlq_replayed_from"] = f"{self.partition}:{self.offset}"
        return kept


async def parked(settings: CommonSettings, topic: str) -> AsyncIterator[Parked]:
    """Every record on `topic`'s dead-letter topic, from the beginning to the current end."""
    consumer = AIOKafkaConsumer(**admin_options(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(dlq_topic(topic)) or set()
        assigned = [TopicPartition(dlq_topic(topic), p) for p in sorted(partitions)]
        if not assigned:
            return
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        for tp in assigned:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=2000, max_records=500)
                for record in batch.get(tp, []):
                    key = record.key.decode(errors="replace") if record.key else None
                    yield Parked(tp.partition, record.offset, key,
                                 decode_headers(record.headers), record.value or b"")
    finally:
        await consumer.stop()


async def replay(settings: CommonSettings, topic: str, only: set[tuple[int, int]] | None) -> int:
    """Publish parked records back to `topic`; handlers dedup on event id, so replays are safe."""
    count = 0
    async with StandalonePublisher(settings) as publisher:
        async for record in parked(settings, topic):
            if only is not None and (record.partition, record.offset) not in only:
                continue
            await publisher.publish_raw(topic, record.key, record.body, record.original_headers())
            count += 1
    return count
