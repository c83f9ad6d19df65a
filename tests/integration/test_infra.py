"""The infrastructure itself: a message through Kafka, documents through the store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from vouchers_shared.messaging.kafka import ensure_topics
from vouchers_shared.settings import CommonSettings
from vouchers_shared.topics import dlq_topic

from tests.support.infra import Infra

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    name = f"test_infra_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def partitions_once_described(admin: AIOKafkaAdminClient, topic: str, within_s: float = 15.0) -> int:
    """The topic's partitions as the broker describes them, once its metadata has the new topic:
    a topic just created can be described with no partitions for a moment."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        described = await admin.describe_topics([topic])
        partitions = len(described[0]["partitions"])
        if partitions or asyncio.get_running_loop().time() > deadline:
            return partitions
        await asyncio.sleep(0.1)


async def test_kafka_round_trip_on_twelve_partitions(infra: Infra) -> None:
    topic = f"test.infra.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=12, replication_factor=1)])
        assert await partitions_once_described(admin, topic) == 12
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b'{"hello": "kafka"}', key=b"applicant-1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=f"test-infra-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=60)
        await consumer.commit()
    finally:
        await consumer.stop()

    assert (record.key, record.value) == (b"applicant-1", b'{"hello": "kafka"}')
    assert (record.partition, record.offset) == (sent.partition, sent.offset)


async def test_store_writes_and_reads_a_document(database: AsyncDatabase[dict[str, Any]]) -> None:
    applications = database["applications"]
    await applications.insert_one({"_id": "app-1", "status": "received", "amount_cny": "1000.00"})

    found = await applications.find_one({"_id": "app-1"})

    assert found == {"_id": "app-1", "status": "received", "amount_cny": "1000.00"}


async def test_unique_index_rejects_a_duplicate(database: AsyncDatabase[dict[str, Any]]) -> None:
    ledger = database["ledger"]
    await ledger.create_index([("uscc", 1), ("year", 1)], unique=True)
    await ledger.insert_one({"uscc": "91440300MA5G0XXXXX", "year": 2026})

    with pytest.raises(DuplicateKeyError):
        await ledger.insert_one({"uscc": "91440300MA5G0XXXXX", "year": 2026})


async def test_a_dead_letter_topic_is_created_with_the_chosen_retention(infra: Infra) -> None:
    settings = CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap, kafka_dlq_retention_hours=30)
    parked_topic = dlq_topic(f"test.infra.{uuid.uuid4().hex[:12]}")
    plain_topic = f"test.infra.{uuid.uuid4().hex[:12]}"

    await ensure_topics(settings, (parked_topic, plain_topic))

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in (parked_topic, plain_topic)]
        )
    finally:
        await admin.close()
    configs = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}
        for response in described
        for resource in response.resources
    }
    assert configs[parked_topic]["retention.ms"] == str(30 * 3_600_000)
    assert configs[plain_topic]["retention.ms"] == str(7 * 24 * 3_600_000)  # the broker's default
