"""The shared consumer against the real broker: a record whose handler raises TransientError
forever holds up no other key, is parked exactly once after its attempts, and its partition
moves on."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from vouchers_shared.errors import TransientError
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound, decode_headers
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import KafkaPublisher, Outgoing
from vouchers_shared.messaging.retry import RetryPolicy
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.settings import CommonSettings
from vouchers_shared.topics import dlq_topic

from tests.support.infra import Infra
from tests.support.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PARTITIONS = 3
BAD = "91440300MA5BADBAD0"
GOOD = [f"91440300MA5G{n:05d}X" for n in range(12)]  # every partition gets some
POLICY = RetryPolicy(max_attempts=5, budget_s=60.0, backoff_first_s=0.2, backoff_max_s=1.0, in_place_s=0.3)


async def test_a_record_failing_transiently_forever_holds_up_no_other_key_and_is_parked_once(
    infra: Infra,
) -> None:
    run = uuid.uuid4().hex[:8]
    topic, group = f"vouchers.retryprobe-{run}.v1", f"retryprobe-{run}"
    await create_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)], PARTITIONS)
    broker = build_broker(CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap), "retryprobe")
    processor = RecordProcessor(KafkaPublisher(broker), "retryprobe", POLICY)
    attempts: Counter[str] = Counter()
    handled_at: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        attempts[inbound.envelope.id] += 1
        if inbound.key == BAD:
            raise TransientError("ledger write refused")
        handled_at.setdefault(inbound.envelope.id, loop.time())
        return ()

    consume(
        broker,
        topic,
        group_id=group,
        processor=lambda: processor,
        handler=lambda: handler,
        title="retry probe",
        description="a handler that fails for one key",
    )
    await broker.connect()
    sent = [("bad-0", BAD)] + [(f"good-{n}-{k}", key) for n in range(3) for k, key in enumerate(GOOD)]
    for event_id, key in sent:  # all there before the first poll: the bad one in the first batch
        headers = Envelope.new("probe.happened", "/tests/retries", key, id_=event_id).headers()
        await broker.publish(b"{}", topic, key=key.encode(), headers=headers)
    await broker.start()
    try:
        parked = await until(
            "the bad record parked", lambda: dead_letters(infra.kafka_bootstrap, topic), within=120
        )
        parked_seen_at = loop.time()
        await until("every good record handled", lambda: len(handled_at) == len(sent) - 1, within=60)
        await until(
            "the group committed to the end of every partition",
            lambda: fully_committed(infra.kafka_bootstrap, group, topic),
            within=60,
        )
    finally:
        await broker.stop()

    assert len(await dead_letters(infra.kafka_bootstrap, topic)) == 1
    (headers,) = parked
    assert (headers["ce_id"], headers["dlq_error_class"]) == ("bad-0", "TransientError")
    assert headers["dlq_attempts"] == str(POLICY.max_attempts) == str(attempts["bad-0"])
    assert headers["dlq_id"].startswith(f"retryprobe/{topic}/")
    assert all(n == 1 for event_id, n in attempts.items() if event_id != "bad-0"), attempts
    assert max(handled_at.values()) < parked_seen_at  # nobody waited for the bad one


async def until(what: str, probe: Callable[[], Any], within: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        found = probe()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


async def dead_letters(bootstrap: str, topic: str) -> list[dict[str, str]]:
    """The headers of every record on `topic`'s dead-letter topic, up to its current end."""
    partitions = [TopicPartition(dlq_topic(topic), p) for p in range(PARTITIONS)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[dict[str, str]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found += [decode_headers(r.headers) for r in records]
        return found
    finally:
        await consumer.stop()


async def fully_committed(bootstrap: str, group: str, topic: str) -> bool:
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
        await admin.close()
    return all(tp in committed and committed[tp].offset == ends[tp] for tp in partitions)
