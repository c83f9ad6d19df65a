"""A consumer fetches at most `PARTITION_FETCH_BYTES` of a partition ahead of its handler, and
still receives a record bigger than that, whole, while the other partitions keep it busy."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from vouchers_shared.messaging.kafka import MAX_MESSAGE_BYTES
from vouchers_shared.messaging.subscribe import PARTITION_FETCH_BYTES

from tests.support.infra import Infra
from tests.support.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 12
BIG_PARTITION = 7
SMALL_PER_PARTITION = 40


async def test_a_record_bigger_than_a_partition_fetch_still_arrives_whole(infra: Infra) -> None:
    topic = f"test.fetch.{uuid.uuid4().hex[:12]}"
    configs = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    await create_topics(infra.kafka_bootstrap, [topic], PARTITIONS, configs)

    big = bytes(range(256)) * (4 * PARTITION_FETCH_BYTES // 256)  # four partition fetches
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, acks="all", max_request_size=MAX_MESSAGE_BYTES
    )
    await producer.start()
    try:
        sends = [
            producer.send(topic, f"small-{p}-{n}".encode() * 200, partition=p)
            for n in range(SMALL_PER_PARTITION)
            for p in range(PARTITIONS)
            if p != BIG_PARTITION
        ]
        sends.append(producer.send(topic, big, partition=BIG_PARTITION))
        sends += [producer.send(topic, b"after the big one", partition=BIG_PARTITION) for _ in range(3)]
        await asyncio.gather(*[await s for s in sends])
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=f"test-fetch-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
    )
    expected = (PARTITIONS - 1) * SMALL_PER_PARTITION + 4
    received: list[bytes] = []
    await consumer.start()
    try:
        async with asyncio.timeout(90):
            while len(received) < expected:
                batch = await consumer.getmany(timeout_ms=1000, max_records=10)
                received += [record.value for records in batch.values() for record in records]
    finally:
        await consumer.stop()

    assert len(received) == expected
    assert received.count(big) == 1
    assert received.count(b"after the big one") == 3
