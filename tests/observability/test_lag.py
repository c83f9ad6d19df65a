"""Consumer lag from `highwater - position`, per partition, against a real Kafka consumer and fakes."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.observability.lag import LagSampler
from vouchers_shared.settings import CommonSettings

from tests.support.infra import Infra
from tests.support.topics import create_topics


def lag_of(group: str, topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "vouchers_consumer_lag", {"group": group, "topic": topic, "partition": str(partition)}
    )


def assigned(group: str, topic: str) -> float | None:
    labels = {"group": group, "topic": topic}
    return REGISTRY.get_sample_value("vouchers_consumer_assigned_partitions", labels)


@dataclass
class FakeConsumer:
    highwaters: dict[TopicPartition, int | None]
    positions: dict[TopicPartition, int]
    topics: frozenset[str] = frozenset()

    def assignment(self) -> set[TopicPartition]:
        return set(self.highwaters)

    def subscription(self) -> frozenset[str]:
        return self.topics

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters[tp]

    async def position(self, tp: TopicPartition) -> int:
        if tp not in self.positions:
            raise RuntimeError("not assigned")  # aiokafka raises IllegalStateError
        return self.positions[tp]


@dataclass
class FakeSubscriber:
    group_id: str
    consumer: FakeConsumer | None


@dataclass
class FakeBroker:
    subscribers: list[FakeSubscriber] = field(default_factory=list)


async def test_lag_is_highwater_minus_position_for_each_assigned_partition() -> None:
    group, topic = f"fake-{uuid.uuid4().hex[:8]}", "vouchers.fake.v1"
    tp0, tp1, tp2 = (TopicPartition(topic, p) for p in range(3))
    consumer = FakeConsumer({tp0: 10, tp1: None, tp2: 7}, {tp0: 4, tp1: 0, tp2: 7}, frozenset({topic}))
    sampler = LagSampler(FakeBroker([FakeSubscriber(group, consumer)]))
    await sampler.sample()
    assert lag_of(group, topic, 0) == 6
    assert lag_of(group, topic, 1) is None  # no fetch answered yet: unknown, not zero
    assert lag_of(group, topic, 2) == 0
    assert assigned(group, topic) == 3


async def test_a_partition_moved_elsewhere_leaves_this_process_series() -> None:
    group, topic = f"fake-{uuid.uuid4().hex[:8]}", "vouchers.fake.v1"
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = FakeConsumer({tp0: 5, tp1: 5}, {tp0: 1, tp1: 2}, frozenset({topic}))
    subscriber = FakeSubscriber(group, consumer)
    sampler = LagSampler(FakeBroker([subscriber]))
    await sampler.sample()
    assert (lag_of(group, topic, 0), lag_of(group, topic, 1)) == (4, 3)
    del consumer.highwaters[tp1], consumer.positions[tp1]  # revoked in a rebalance
    await sampler.sample()
    assert (lag_of(group, topic, 0), lag_of(group, topic, 1)) == (4, None)
    assert assigned(group, topic) == 1
    consumer.highwaters.clear()  # every partition went to another replica
    await sampler.sample()
    assert assigned(group, topic) == 0  # this member holds nothing: an alert sums these to 0
    subscriber.consumer = None  # stopped
    await sampler.sample()
    assert assigned(group, topic) is None


async def test_a_partition_revoked_between_assignment_and_position_is_skipped() -> None:
    group, topic = f"fake-{uuid.uuid4().hex[:8]}", "vouchers.fake.v1"
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = FakeConsumer({tp0: 5, tp1: 9}, {tp0: 5}, frozenset({topic}))
    lags = await LagSampler(FakeBroker([FakeSubscriber(group, consumer)])).sample()
    assert [(p.partition, p.lag) for p in lags] == [(0, 0)]


@pytest.mark.integration
async def test_lag_counts_the_records_behind_a_blocked_handler_and_drains(infra: Infra) -> None:
    settings = CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)
    topic, group = f"vouchers.lagprobe-{uuid.uuid4().hex[:8]}.v1", f"lagprobe-{uuid.uuid4().hex[:8]}"
    await create_topics(infra.kafka_bootstrap, [topic], partitions=3)
    broker = build_broker(settings, "lagprobe")
    gate, received = asyncio.Event(), asyncio.Event()

    @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest")
    async def handle(body: bytes) -> None:
        received.set()
        await gate.wait()

    await broker.connect()
    # Six records under one key (one partition) before the consumer starts, so its first fetch
    # sees them all: the highwater a consumer knows is the one of its last fetch.
    for n in range(6):
        await broker.publish(f"record {n}".encode(), topic, key=b"91440305MA5K00010T")
    await broker.start()
    sampler = LagSampler(broker)
    try:
        await until("all three partitions assigned", lambda: assigned(group, topic) == 3, sampler)
        await asyncio.wait_for(received.wait(), 60)
        await until(
            "5 records behind the blocked handler", lambda: sorted(lags(group, topic)) == [0, 0, 5], sampler
        )
        gate.set()
        await until("the partition drained", lambda: lags(group, topic) == [0, 0, 0], sampler)
    finally:
        gate.set()
        await broker.stop()
    await sampler.sample()
    assert assigned(group, topic) is None
    assert lags(group, topic) == []


def lags(group: str, topic: str) -> list[float]:
    return [v for p in range(3) if (v := lag_of(group, topic, p)) is not None]


async def until(what: str, condition: Any, sampler: LagSampler, within: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        await sampler.sample()
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {within}s waiting for {what}")
