"""Reading and replaying a dead-letter topic (`vouchers dlq`, and the console's dead-letter page)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from vouchers_shared.messaging.dead_letter import DLQ_ID
from vouchers_shared.messaging.inbound import decode_headers
from vouchers_shared.messaging.kafka import MAX_MESSAGE_BYTES, admin_options
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.messaging.reading import partitions, records_until
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


def parked(settings: CommonSettings, topic: str) -> AsyncIterator[Parked]:
    """Every record parked from `topic`, each once, from the beginning to the current end."""
    return first_of_each_id(_dead_letters(settings, topic))


async def first_of_each_id(records: AsyncIterable[Parked]) -> AsyncIterator[Parked]:
    """A record parked again by a process that took over before the first one committed carries
    the same `dlq_id`: only its first dead letter is kept (those without an id all are)."""
    seen: set[str] = set()
    async for record in records:
        dlq_id = record.headers.get(DLQ_ID)
        if dlq_id is not None:
            if dlq_id in seen:
                continue
            seen.add(dlq_id)
        yield record


async def _dead_letters(settings: CommonSettings, topic: str) -> AsyncIterator[Parked]:
    """Every record on `topic`'s dead-letter topic, from the beginning to the current end."""
    assigned = (await partitions(settings, [dlq_topic(topic)])).get(dlq_topic(topic), [])
    if not assigned:
        return
    consumer = AIOKafkaConsumer(
        **admin_options(settings), enable_auto_commit=False, max_partition_fetch_bytes=MAX_MESSAGE_BYTES
    )
    await consumer.start()
    try:
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        for tp in assigned:
            # parked after the call (a replay parked again) is left for the next reading
            async for record in records_until(consumer, tp, ends[tp]):
                key = record.key.decode(errors="replace") if record.key else None
                yield Parked(
                    tp.partition, record.offset, key, decode_headers(record.headers), record.value or b""
                )
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
