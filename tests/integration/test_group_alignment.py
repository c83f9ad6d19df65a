"""A service's processes get the same partition numbers in each of its consumer groups: the
range assignor orders a group's members by id, and the broker begins each member id with the
client id, which names the process (`process_client_id`)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from vouchers_shared.messaging.kafka import process_client_id

from tests.support.infra import Infra
from tests.support.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 12


def _member(infra: Infra, client_id: str, group: str, *topics: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=infra.kafka_bootstrap,
        client_id=client_id,
        group_id=group,
        enable_auto_commit=False,
        partition_assignment_strategy=(RangePartitionAssignor,),
    )


async def _settled(members: list[AIOKafkaConsumer]) -> None:
    """Until every member holds its share: the group has seen all of them join."""
    async with asyncio.timeout(90):
        while True:
            await asyncio.gather(*(m.getmany(timeout_ms=200) for m in members))
            sizes = [len(m.assignment()) for m in members]
            if all(size == sizes[0] for size in sizes) and sum(sizes) > 0:
                return


@pytest.mark.parametrize("pids", [(7, 123), (123, 7), (4242, 99999)])
async def test_each_process_holds_the_same_partition_numbers_in_every_group(
    infra: Infra, pids: tuple[int, int]
) -> None:
    run = uuid.uuid4().hex[:8]
    submitted, assessed, decided = (f"test.align.{run}.{t}" for t in ("submitted", "assessed", "decided"))
    await create_topics(infra.kafka_bootstrap, [submitted, assessed, decided], PARTITIONS)
    first, second = (process_client_id("eligibility", "node", pid) for pid in pids)
    # Each group sees its members join in another order: that order must not matter.
    stage_one = [
        _member(infra, second, f"align-a-{run}", submitted),
        _member(infra, first, f"align-a-{run}", submitted),
    ]
    stage_two = [
        _member(infra, first, f"align-b-{run}", assessed, decided),
        _member(infra, second, f"align-b-{run}", assessed, decided),
    ]
    members = stage_one + stage_two
    for member in members:
        await member.start()
    try:
        await _settled(stage_one)
        await _settled(stage_two)

        def held(member: AIOKafkaConsumer, topic: str) -> set[int]:
            return {tp.partition for tp in member.assignment() if tp.topic == topic}

        by_process = {
            second: (
                held(stage_one[0], submitted),
                held(stage_two[1], assessed),
                held(stage_two[1], decided),
            ),
            first: (held(stage_one[1], submitted), held(stage_two[0], assessed), held(stage_two[0], decided)),
        }
        for process, (a, b, c) in by_process.items():
            assert len(a) == PARTITIONS // 2, process
            assert a == b == c, process
        assert by_process[first][0].isdisjoint(by_process[second][0])
    finally:
        for member in members:
            await member.stop()
