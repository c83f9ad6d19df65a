"""Partitions of records as a subscriber sees them through its consumer: positions, pauses,
commits, and the loop FastStream runs around our batch function (ack commits the positions,
an exception nacks: every partition of the batch back to its first record)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError
from vouchers_shared.messaging.consumer import Handler, RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.subscribe import settle_batch

from .test_record_processor import Record

TOPIC = "vouchers.coi.v2"


def event(key: str, partition: int, offset: int, body: bytes = b"{}") -> Record:
    headers = Envelope.new("coi.assessed", "/test", f"A-{key}", id_=f"{key}@{partition}:{offset}").headers()
    return Record(
        body,
        [(k, v.encode()) for k, v in headers.items()],
        topic=TOPIC,
        partition=partition,
        offset=offset,
        key=key.encode(),
    )


@dataclass
class PartitionLog:
    """Each partition's records by offset; `layout` names the key of each record."""

    records: dict[TopicPartition, list[Record]]
    position: dict[TopicPartition, int] = field(default_factory=dict)
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    paused: set[TopicPartition] = field(default_factory=set)
    batches: int = 0

    @classmethod
    def of(cls, layout: dict[int, Sequence[str]]) -> PartitionLog:
        records = {
            TopicPartition(TOPIC, p): [event(key, p, o) for o, key in enumerate(keys)]
            for p, keys in layout.items()
        }
        return cls(records, {tp: 0 for tp in records}, {tp: 0 for tp in records})

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self._assigned(partition)
        self.position[partition] = offset

    def pause(self, *partitions: TopicPartition) -> None:
        for partition in partitions:
            self._assigned(partition)
        self.paused.update(partitions)

    def _assigned(self, partition: TopicPartition) -> None:
        if partition not in self.records:  # as aiokafka's consumer does
            raise IllegalStateError(f"No current assignment for partition {partition}")

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    def assignment(self) -> set[TopicPartition]:
        return set(self.records)

    def poll(self, max_records: int = 100) -> list[Record]:
        batch: list[Record] = []
        for tp, records in self.records.items():
            if tp not in self.paused:
                taken = records[self.position[tp] : self.position[tp] + max_records - len(batch)]
                self.position[tp] += len(taken)
                batch += taken
        return batch

    def nack(self, batch: Sequence[Record]) -> None:
        for tp in self.records:
            offsets = [r.offset for r in batch if r.partition == tp.partition]
            if offsets:
                self.seek(tp, min(offsets))

    def all_committed(self) -> bool:
        return all(self.committed[tp] == len(records) for tp, records in self.records.items())

    def committed_at(self, partition: int) -> int:
        return self.committed[TopicPartition(TOPIC, partition)]


async def run_subscriber(
    processor: RecordProcessor,
    handler: Handler,
    log: PartitionLog,
    *,
    for_s: float = 5.0,
    until_committed: bool = True,
    batches: int | None = None,
) -> None:
    """Deliver batches until every record is committed, `for_s` has passed or `batches` were
    delivered."""
    loop = asyncio.get_running_loop()
    deadline, last = loop.time() + for_s, None if batches is None else log.batches + batches
    while loop.time() < deadline and not (until_committed and log.all_committed()):
        if last is not None and log.batches >= last:
            return
        batch = log.poll()
        if not batch:
            await asyncio.sleep(0.002)
            continue
        log.batches += 1
        try:
            await settle_batch(processor, handler, [TOPIC], batch, log)
        except Exception:
            log.nack(batch)
            continue
        log.committed = dict(log.position)
