"""Watching topics with aiokafka: when each subject reached each stage, and consumer lag."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class Stage:
    """Records of `topic` (of CloudEvents type `ce_type`, when given) mark this stage."""

    name: str
    topic: str
    ce_type: str | None = None


@dataclass
class Sizes:
    count: int = 0
    value_bytes: int = 0
    header_bytes: int = 0

    def mean_value(self) -> int:
        return self.value_bytes // self.count if self.count else 0

    def mean_headers(self) -> int:
        return self.header_bytes // self.count if self.count else 0


@dataclass
class Watcher:
    """Reads every partition of the stages' topics (no consumer group, nothing committed) and
    keeps, per `ce_subject`, the broker timestamp of the first record of each stage."""

    bootstrap: str
    stages: tuple[Stage, ...]
    first: dict[str, dict[str, float]] = field(default_factory=dict)
    sizes: dict[str, Sizes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._by_topic = {s.topic: s for s in self.stages}
        self.changed = asyncio.Event()

    async def start(self, from_end: bool = True) -> None:
        partitions = [
            TopicPartition(topic, p)
            for topic, numbers in (await partitions_of(self.bootstrap, list(self._by_topic))).items()
            for p in numbers
        ]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=1000,  # as the services' consumers: the idle phase measures them
        )
        await consumer.start()
        consumer.assign(partitions)
        if from_end:
            await consumer.seek_to_end(*partitions)
        else:
            await consumer.seek_to_beginning(*partitions)
        for tp in partitions:  # resolve the positions now, before anything is produced
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                for record in records:
                    self._note(record)
            if batches:
                self.changed.set()

    def _note(self, record: object) -> None:
        stage = self._by_topic[record.topic]  # type: ignore[attr-defined]
        headers = {k: v for k, v in (record.headers or ())}  # type: ignore[attr-defined]
        if stage.ce_type is not None and headers.get("ce_type") != stage.ce_type.encode():
            return
        subject = headers.get("ce_subject")
        if subject is None:
            return
        sizes = self.sizes.setdefault(stage.name, Sizes())
        sizes.count += 1
        sizes.value_bytes += len(record.value or b"")  # type: ignore[attr-defined]
        sizes.header_bytes += sum(len(k) + len(v) for k, v in headers.items())
        seen = self.first.setdefault(subject.decode(), {})
        seen.setdefault(stage.name, record.timestamp / 1000)  # type: ignore[attr-defined]

    def completed(self, subjects: Iterable[str], stages: Iterable[str]) -> int:
        wanted = tuple(stages)
        return sum(1 for s in subjects if all(n in self.first.get(s, {}) for n in wanted))

    async def wait_changed(self, at_most_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), at_most_s)
        self.changed.clear()


async def partitions_of(bootstrap: str, topics: list[str]) -> dict[str, list[int]]:
    """The partition numbers of each topic (waiting briefly for a topic being created)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for _ in range(100):
            found = {
                t["topic"]: sorted(p["partition"] for p in t["partitions"])
                for t in await admin.describe_topics(topics)
                if t["partitions"]
            }
            if set(found) >= set(topics):
                return found
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    raise RuntimeError(f"topics without partitions: {sorted(set(topics) - set(found))}")


async def group_lags(bootstrap: str, skip: Iterable[str] = ()) -> dict[str, int]:
    """Records not yet committed by each consumer group (end offset minus committed offset)."""
    skipped = set(skip)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0] not in skipped]
        lags: dict[str, int] = {}
        for group in groups:
            committed = {
                tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
            }
            # Every partition of a topic the group has committed on; one it has not touched
            # yet counts from offset 0 (the benchmark's topics start empty).
            known = await partitions_of(bootstrap, sorted({tp.topic for tp in committed}))
            partitions = [TopicPartition(topic, p) for topic, numbers in known.items() for p in numbers]
            if not partitions:
                continue
            ends = await consumer.end_offsets(partitions)
            lags[group] = sum(max(0, ends[tp] - max(0, committed.get(tp, 0))) for tp in partitions)
        return lags
    finally:
        await consumer.stop()
        await admin.close()
