"""A consumer catching up on one partition while its other partitions have nothing does not
stand still between fetches for the broker's idle wait.

aiokafka sends one fetch at a time to a broker; while the busy partition's records wait to be
handled it asks for the other partition alone, and the broker holds that fetch until its wait
runs out. With the idle wait every fetch of the busy partition came up to two seconds late; the
subscriber's `FetchPace` makes the wait short while batches come."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Sequence

import pytest
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import KafkaPublisher, Outgoing
from vouchers_shared.messaging.retry import RetryPolicy
from vouchers_shared.messaging.subscribe import IDLE_FETCH_WAIT_MS, PARTITION_FETCH_BYTES, consume
from vouchers_shared.settings import CommonSettings

from tests.support.infra import Infra
from tests.support.intake import wait_until
from tests.support.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 3
RECORDS = 48
RECORD_BYTES = PARTITION_FETCH_BYTES // 4  # a handful per fetch: a dozen fetches at least
HANDLING_S = 0.05  # per record: a batch outlasts the time aiokafka waits before fetching around it
KEY = "91440300MA5PACE001"


async def test_a_busy_partition_is_fetched_again_without_the_idle_wait(infra: Infra) -> None:
    run = uuid.uuid4().hex[:8]
    topic = f"vouchers.paceprobe-{run}.v1"
    await create_topics(infra.kafka_bootstrap, [topic], PARTITIONS)  # all records in one
    broker = build_broker(CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap), "paceprobe")
    processor = RecordProcessor(KafkaPublisher(broker), "paceprobe", RetryPolicy())
    handled_at: list[float] = []
    loop = asyncio.get_running_loop()

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        await asyncio.sleep(HANDLING_S)
        handled_at.append(loop.time())
        return ()

    async def all_handled() -> bool:
        return len(handled_at) == RECORDS

    consume(
        broker,
        topic,
        group_id=f"paceprobe-{run}",
        processor=lambda: processor,
        handler=lambda: handler,
        title="pace probe",
        description="a slow handler of one partition's backlog",
    )
    await broker.connect()
    body = b'{"padding": "' + b"x" * RECORD_BYTES + b'"}'
    for n in range(RECORDS):  # the whole backlog there before the first fetch
        headers = Envelope.new("probe.happened", "/tests/pace", KEY, id_=f"pace-{n}").headers()
        await broker.publish(body, topic, key=KEY.encode(), partition=0, headers=headers)
    await broker.start()
    try:
        await wait_until("every record handled", all_handled, within=120)
    finally:
        await broker.stop()

    gaps = [later - earlier for earlier, later in itertools.pairwise(handled_at)]
    assert max(gaps) < IDLE_FETCH_WAIT_MS / 1000 / 2, sorted(gaps)[-5:]
