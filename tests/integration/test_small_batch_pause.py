"""A consumer that keeps up with records coming at a steady pace pauses after each small batch,
so the records come in fewer, fuller batches, each handled once; a backlog's full batches are
taken one after another without the pause."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import KafkaPublisher, Outgoing
from vouchers_shared.messaging.retry import RetryPolicy
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.settings import CommonSettings

from tests.support.infra import Infra
from tests.support.intake import wait_until
from tests.support.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 12  # as the suite's topics: a pause gathers what came to each partition
STEADY_RECORDS = 150
STEADY_GAP_S = 0.02  # 50 records a second: a consumer that does not pause takes a few at a time
PAUSE_S = 0.3
BACKLOG_RECORDS = 300  # three full batches of 100
LONG_PAUSE_S = 60.0  # longer than the wait below: a pause after a full batch would fail it


class Probe:
    """A group of its own consuming `topic`, with the pause given: the event ids it handled."""

    def __init__(self, infra: Infra, topic: str, pause_s: float) -> None:
        self.group = f"pauseprobe-{uuid.uuid4().hex[:8]}"
        self.broker = build_broker(CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap), self.group)
        self.handled: list[str] = []
        processor = RecordProcessor(KafkaPublisher(self.broker), self.group, RetryPolicy())

        async def handler(inbound: Inbound) -> Sequence[Outgoing]:
            self.handled.append(inbound.envelope.id)
            return ()

        consume(
            self.broker,
            topic,
            group_id=self.group,
            processor=lambda: processor,
            handler=lambda: handler,
            title="pause probe",
            description="counts the batches it takes",
            small_batch_pause_s=pause_s,
        )

    def batches(self) -> float:
        """How many batches the group took (the subscriber's `vouchers_batch_records` count)."""
        count = REGISTRY.get_sample_value("vouchers_batch_records_count", {"group": self.group})
        return count or 0.0


async def _each_has(probes: Sequence[Probe], count: int) -> bool:
    return all(len(probe.handled) >= count for probe in probes)


async def _publish(broker: KafkaBroker, topic: str, ids: Sequence[str], gap_s: float = 0.0) -> None:
    """One record per id, each with a key of its own, so they spread over the partitions."""
    for n, event_id in enumerate(ids):
        key = f"91440300MA5P{n:06d}"
        headers = Envelope.new("probe.happened", "/tests/pause", key, id_=event_id).headers()
        await broker.publish(b"{}", topic, key=key.encode(), headers=headers)
        if gap_s:
            await asyncio.sleep(gap_s)


async def test_records_at_a_steady_pace_come_in_fewer_batches_each_handled_once(infra: Infra) -> None:
    topic = f"vouchers.pauseprobe-{uuid.uuid4().hex[:8]}.v1"
    await create_topics(infra.kafka_bootstrap, [topic], PARTITIONS)
    pausing, eager = Probe(infra, topic, PAUSE_S), Probe(infra, topic, 0.0)
    ids = [f"steady-{n}" for n in range(STEADY_RECORDS)]
    for probe in (pausing, eager):
        await probe.broker.start()
    try:
        await _publish(pausing.broker, topic, ["first"])  # both groups hold their partitions once
        await wait_until("both groups at work", lambda: _each_has([pausing, eager], 1), within=60)
        await _publish(pausing.broker, topic, ids, STEADY_GAP_S)
        await wait_until("every record handled", lambda: _each_has([pausing, eager], 1 + len(ids)), within=60)
    finally:
        for probe in (pausing, eager):
            await probe.broker.stop()

    for probe in (pausing, eager):  # each record once
        assert sorted(probe.handled) == sorted(["first", *ids]), probe.group
    assert pausing.batches() * 3 <= eager.batches(), (pausing.batches(), eager.batches())


async def test_a_backlog_in_full_batches_is_taken_without_a_pause(infra: Infra) -> None:
    topic = f"vouchers.pauseprobe-{uuid.uuid4().hex[:8]}.v1"
    await create_topics(infra.kafka_bootstrap, [topic], 1)  # one partition: full batches only
    probe = Probe(infra, topic, LONG_PAUSE_S)
    ids = [f"backlog-{n}" for n in range(BACKLOG_RECORDS)]
    await probe.broker.connect()
    await _publish(probe.broker, topic, ids)  # all there before the first fetch
    await probe.broker.start()
    try:
        await wait_until("the backlog handled", lambda: _each_has([probe], len(ids)), within=LONG_PAUSE_S / 2)
    finally:
        await probe.broker.stop()

    assert probe.handled == ids
    assert probe.batches() >= BACKLOG_RECORDS / 100  # full batches, none of them paused after
