"""Reading the suite's events back from Kafka, and sending one again as a redelivery would."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from vouchers_shared.messaging.publisher import Outgoing


@dataclass(frozen=True)
class Record:
    """One CloudEvent as it sits on a topic."""

    topic: str
    key: str | None
    headers: dict[str, str]
    value: bytes

    @property
    def id(self) -> str:
        return self.headers["ce_id"]

    @property
    def type(self) -> str:
        return self.headers["ce_type"]

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.value)
        return data


def records_about(bootstrap: str, topic: str, subject: str) -> list[Record]:
    """Every record on `topic` whose `ce_subject` is `subject`, in the order of its partition."""
    return asyncio.run(_records_about(bootstrap, topic, subject))


async def _records_about(bootstrap: str, topic: str, subject: str) -> list[Record]:
    partitions = [TopicPartition(topic, p) for p in await partition_numbers(bootstrap, topic)]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        found: list[Record] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for records in batches.values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    if headers.get("ce_subject") == subject:
                        key = r.key.decode() if r.key is not None else None
                        found.append(Record(r.topic, key, headers, r.value))
        return found
    finally:
        await consumer.stop()


async def partition_numbers(bootstrap: str, topic: str) -> list[int]:
    """The topic's partitions, as the cluster describes them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(int(p["partition"]) for p in described.get("partitions", []))


def send_again(bootstrap: str, record: Record) -> None:
    """Produce `record` once more, byte for byte: same key, headers and body."""
    asyncio.run(_send(bootstrap, record.topic, record.key, record.headers, record.value))


def publish(bootstrap: str, event: Outgoing) -> None:
    """Produce an event built with the suite's own envelope, as a service would."""
    asyncio.run(_send(bootstrap, event.topic, event.key, event.headers(), event.body()))


async def _send(bootstrap: str, topic: str, key: str | None, headers: dict[str, str], value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic,
            value,
            key=key.encode() if key is not None else None,
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
    finally:
        await producer.stop()
