"""An upgrade across a topic version copies what the old topics still hold for their readers
onto the new ones (`vouchers carry-over`), on the real broker."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from vouchers_shared.messaging.carry_over import CARRIED_FROM, Carried, carry_over
from vouchers_shared.settings import CommonSettings

from tests.support.infra import Infra
from tests.support.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 3


async def send(bootstrap: str, topic: str, *values: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:  # one key: one partition, in order
            await producer.send_and_wait(
                topic, value.encode(), key=b"91440300MA5K000001", headers=[("ce_id", value.encode())]
            )
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, tp: TopicPartition, offset: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        await consumer.stop()


async def everything(bootstrap: str, topic: str) -> list[tuple[int, bytes | None, bytes, dict[str, str]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=2000)).items():
                found += [
                    (tp.partition, r.key, r.value or b"", {k: v.decode() for k, v in r.headers})
                    for r in records
                ]
        return found
    finally:
        await consumer.stop()


async def test_what_no_reader_had_handled_is_carried_over_once_in_order(infra: Infra) -> None:
    run = uuid.uuid4().hex[:10]
    old, new, missing = f"test.carry.{run}.v1", f"test.carry.{run}.v2", f"test.carry.{run}.gone.v1"
    await create_topics(infra.kafka_bootstrap, [old, new], PARTITIONS, {})
    await send(infra.kafka_bootstrap, old, "e0", "e1", "e2", "e3")
    [(partition, *_)] = {(p, k) for p, k, _, _ in await everything(infra.kafka_bootstrap, old)}
    tp = TopicPartition(old, partition)
    await commit(infra.kafka_bootstrap, f"ahead-{run}", tp, 3)  # one reader had handled e0..e2
    await commit(infra.kafka_bootstrap, f"behind-{run}", tp, 1)  # another only e0
    settings = CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)

    done = await carry_over(settings, {old: new, missing: new})

    assert done == [Carried(old, new, 3), Carried(missing, new, 0)]
    copied = await everything(infra.kafka_bootstrap, new)
    assert [value for _, _, value, _ in copied] == [b"e1", b"e2", b"e3"]  # from the earliest reader on
    assert {(p, k) for p, k, _, _ in copied} == {(partition, b"91440300MA5K000001")}  # same key, same place
    assert [h["ce_id"] for *_, h in copied] == ["e1", "e2", "e3"]  # the headers kept
    assert [h[CARRIED_FROM] for *_, h in copied] == [f"{old}:{partition}:{n}" for n in (1, 2, 3)]

    await send(infra.kafka_bootstrap, old, "e4")  # written after the copy (should not happen)
    again = await carry_over(settings, {old: new})

    assert again == [Carried(old, new, 1)]  # only what came since
    assert [value for _, _, value, _ in await everything(infra.kafka_bootstrap, new)][-1] == b"e4"
