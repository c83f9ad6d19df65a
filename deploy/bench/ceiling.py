"""The Kafka ceiling: aiokafka alone moving N applications' records through the pipeline's hops.

Same broker, same number of applications, the same records per application on the same topics,
with the measured value and header sizes of each topic, the same keys (so the same
partitions), the same producer guarantees and tuning as the services (acks=all, idempotence,
linger and batch size from vouchers_shared.messaging.kafka) and the same consumer groups, one
process per service as the suite runs them (`FLOWS`):

    submitted ──► coi ──► eligibility ─┐
        ├──────► verification ─────────┼──► decision      (notification joins the three)
        └── every topic ──► the status read model (intake), the decision back to the rules

Per application that is 5 records produced and 13 consumed. Each process reads with `getmany`
(up to `MAX_RECORDS`), sends every record of a batch before awaiting any (the send futures are
gathered), then commits; no store, no parsing, no logic. The source produces the submitted
records pipelined from the benchmark process, and a watcher times the verdicts as the
pipeline's are timed: from the first record sent to the last verdict's broker timestamp.

    python -m deploy.bench.ceiling worker SPEC_JSON
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from vouchers_shared.messaging.kafka import MAX_MESSAGE_BYTES, PRODUCER_GUARANTEES, PRODUCER_TUNING

from deploy.bench.load import percentiles
from deploy.bench.watch import Sizes, Stage, Watcher

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 12
MAX_RECORDS = 2000
# The pipeline's topics by what their records are (`notice` carries nothing in a run: no
# notice batch is opened); the verdicts complete an application.
KINDS = ("submitted", "coi", "eligibility", "verification", "decision", "notice")
VERDICTS = ("coi", "eligibility", "verification")


@dataclass(frozen=True)
class Flow:
    """A service's consumer group: what it reads, what one record of a topic makes it send
    (`emits`), and the record it sends once it holds one of each of `joins` for a subject."""

    service: str
    group: str
    reads: tuple[str, ...]
    emits: dict[str, str] = field(default_factory=dict)
    joins: tuple[tuple[str, ...], str] | None = None


# The suite's consumer groups (tests/deploy/test_bench_ceiling.py holds them to the services').
FLOWS = (
    Flow("eligibility", "eligibility-coi", ("submitted",), emits={"submitted": "coi"}),
    Flow("eligibility", "eligibility-rules", ("coi", "decision"), emits={"coi": "eligibility"}),
    Flow("verification", "verification", ("submitted",), emits={"submitted": "verification"}),
    Flow("notification", "notification-cases", ("submitted", *VERDICTS), joins=(VERDICTS, "decision")),
    Flow("intake", "intake-status", KINDS),
)


def produced_per_application(flows: Sequence[Flow] = FLOWS) -> dict[str, int]:
    """Records of each kind one application puts on the topics: its submission and every
    hop's record."""
    produced = {"submitted": 1}
    for flow in flows:
        for target in flow.emits.values():
            produced[target] = produced.get(target, 0) + 1
        if flow.joins is not None:
            produced[flow.joins[1]] = produced.get(flow.joins[1], 0) + 1
    return produced


def read_per_application(flow: Flow, flows: Sequence[Flow] = FLOWS) -> int:
    """Records one application gives `flow` to read."""
    produced = produced_per_application(flows)
    return sum(produced.get(kind, 0) for kind in flow.reads)


def records_per_application(flows: Sequence[Flow] = FLOWS) -> dict[str, int]:
    """Records produced and consumed (each group reading its own copy), per application."""
    return {
        "produced": sum(produced_per_application(flows).values()),
        "consumed": sum(read_per_application(f, flows) for f in flows),
    }


@dataclass(frozen=True)
class Shape:
    """Mean value and header sizes of the records of each kind, as measured on the pipeline."""

    sizes: dict[str, Sizes]

    def value_bytes(self, kind: str) -> int:
        return self.sizes.get(kind, Sizes()).mean_value()

    def header_bytes(self, kind: str) -> int:
        return self.sizes.get(kind, Sizes()).mean_headers()


class Join:
    """Holds, per subject, which of `wanted` it has seen; says when the last one came."""

    def __init__(self, wanted: Sequence[str]) -> None:
        self.wanted = frozenset(wanted)
        self._seen: dict[bytes, set[str]] = {}

    def add(self, subject: bytes, kind: str) -> bool:
        if kind not in self.wanted:
            return False
        seen = self._seen.setdefault(subject, set())
        seen.add(kind)
        if seen >= self.wanted:
            del self._seen[subject]
            return True
        return False


def headers(subject: bytes, size: int) -> list[tuple[str, bytes]]:
    """CloudEvents-like headers padded to `size` bytes (names and values together)."""
    out = [("ce_subject", subject), ("ce_id", uuid.uuid4().hex.encode())]
    used = sum(len(k) + len(v) for k, v in out)
    return [*out, ("ce_pad", b"h" * max(0, size - used - len("ce_pad")))]


def _subject(record: Any) -> bytes:
    return next((v for k, v in record.headers or () if k == "ce_subject"), b"")


async def _group(
    flow: Flow,
    topics: Mapping[str, str],
    producer: AIOKafkaProducer,
    bootstrap: str,
    group: str,
    shape: Shape,
    ready: asyncio.Event,
) -> None:
    """Read, send what the records make, commit; after each commit print how many records
    the group has read (`read GROUP COUNT WALL_CLOCK`)."""
    kind_of = {topics[k]: k for k in flow.reads}
    consumer = AIOKafkaConsumer(
        *kind_of,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=MAX_RECORDS,
    )
    await consumer.start()
    join = Join(flow.joins[0]) if flow.joins else None
    values = {k: b"x" * shape.value_bytes(k) for k in KINDS}
    try:
        while not consumer.assignment():  # noqa: ASYNC110 - aiokafka joins the group in its own task
            await asyncio.sleep(0.05)
        ready.set()
        read = 0
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=MAX_RECORDS)
            sends = []
            for records in batches.values():
                for record in records:
                    kind = kind_of[record.topic]
                    target = flow.emits.get(kind)
                    if join is not None and join.add(_subject(record), kind):
                        target = flow.joins[1]  # type: ignore[index]
                    if target is None:
                        continue
                    sends.append(
                        await producer.send(
                            topics[target],
                            values[target],
                            key=record.key,
                            headers=headers(_subject(record), shape.header_bytes(target)),
                        )
                    )
            if sends:
                await asyncio.gather(*sends)
            if batches:
                await consumer.commit()
                read += sum(len(records) for records in batches.values())
                print(f"read {flow.group} {read} {time.time()}", flush=True)
    finally:
        await consumer.stop()


def producer_options(compression: str | None = None) -> dict[str, Any]:
    return {
        **PRODUCER_GUARANTEES,
        **PRODUCER_TUNING,
        "max_request_size": MAX_MESSAGE_BYTES,
        "compression_type": compression,
    }


async def worker(spec: dict[str, Any]) -> None:
    """One service's flows in one process, with one producer, as the service has."""
    shape = Shape({k: Sizes(**v) for k, v in spec["sizes"].items()})
    producer = AIOKafkaProducer(
        bootstrap_servers=spec["bootstrap"], **producer_options(spec.get("compression"))
    )
    await producer.start()
    flows = [
        Flow(
            f["service"],
            f["group"],
            tuple(f["reads"]),
            f["emits"],
            (tuple(f["joins"][0]), f["joins"][1]) if f["joins"] else None,
        )
        for f in spec["flows"]
    ]
    readies = [asyncio.Event() for _ in flows]
    tasks = [
        asyncio.create_task(
            _group(
                flow,
                spec["topics"],
                producer,
                spec["bootstrap"],
                f"{spec['group_prefix']}{flow.group}",
                shape,
                ready,
            )
        )
        for flow, ready in zip(flows, readies, strict=True)
    ]
    try:
        waiting: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(*(r.wait() for r in readies)))
        done, _ = await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if waiting not in done:
            for task in done:
                task.result()  # raises what stopped a group before it joined
        print("ready", flush=True)
        await asyncio.gather(*tasks)
    finally:
        await producer.stop()


async def _start_worker(spec: dict[str, Any]) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.bench.ceiling",
        "worker",
        json.dumps(spec),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    if line.strip() != b"ready":
        raise RuntimeError(f"ceiling worker for {spec['service']} did not start")
    return proc


def rates(
    sent_at: Mapping[str, float], verdicts: Mapping[str, Mapping[str, float]], drained_at: float | None
) -> dict[str, Any]:
    """Throughput to the last verdict (as the pipeline is timed) and to every group drained."""
    ends = {
        s: max(seen[k] for k in VERDICTS)
        for s, seen in verdicts.items()
        if s in sent_at and all(k in seen for k in VERDICTS)
    }
    first = min(sent_at.values()) if sent_at else float("nan")
    span = max(ends.values()) - first if ends else float("nan")
    drained = drained_at - first if drained_at is not None and sent_at else float("nan")
    return {
        "completed": len(ends),
        "span_s": round(span, 3),
        "throughput_apps_per_s": round(len(ends) / span, 2) if ends and span > 0 else 0.0,
        "drained_s": round(drained, 3),
        "drained_apps_per_s": round(len(sent_at) / drained, 2) if drained > 0 else 0.0,
        "latency_s": percentiles([ends[s] - sent_at[s] for s in ends]),
    }


async def run_ceiling(
    bootstrap: str,
    keys: Sequence[str],
    shape: Shape,
    *,
    compression: str | None = None,
    timeout_s: float = 900,
) -> dict[str, Any]:
    """Move len(keys) applications through FLOWS; throughput and end-to-end latency."""
    run = uuid.uuid4().hex[:8]
    names = {k: f"bench.ceiling.{run}.{k}" for k in KINDS}
    prefix = f"bench-ceiling-{run}-"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics(
        [
            NewTopic(t, PARTITIONS, 1, topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)})
            for t in names.values()
        ]
    )
    procs: list[asyncio.subprocess.Process] = []
    progress = Progress()
    watcher = Watcher(bootstrap, tuple(Stage(k, names[k]) for k in VERDICTS))
    sizes = {k: asdict(v) for k, v in shape.sizes.items()}
    try:
        for service in dict.fromkeys(f.service for f in FLOWS):
            flows = [asdict(f) for f in FLOWS if f.service == service]
            procs.append(
                await _start_worker(
                    {
                        "service": service,
                        "bootstrap": bootstrap,
                        "topics": names,
                        "flows": flows,
                        "sizes": sizes,
                        "group_prefix": prefix,
                        "compression": compression,
                    }
                )
            )
            progress.follow(procs[-1])
        await watcher.start(from_end=False)
        sent_at = await _produce(bootstrap, names["submitted"], keys, shape, compression)
        drained_at = await _wait(watcher, progress, sent_at, procs, timeout_s)
    finally:
        await watcher.stop()
        await progress.stop()
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
        await admin.delete_topics(list(names.values()))
        await admin.close()
    return {
        "applications": len(keys),
        **rates(sent_at, watcher.first, drained_at),
        "records_per_application": records_per_application(),
        "compression": compression or "none",
        "producer": {k: v for k, v in producer_options(compression).items() if k != "compression_type"},
        "value_bytes": {k: shape.value_bytes(k) for k in KINDS[:5]},
        "header_bytes": {k: shape.header_bytes(k) for k in KINDS[:5]},
    }


async def _produce(
    bootstrap: str, topic: str, keys: Sequence[str], shape: Shape, compression: str | None
) -> dict[str, float]:
    """Every submitted record sent before any is awaited, as a busy intake would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **producer_options(compression))
    await producer.start()
    value = b"x" * shape.value_bytes("submitted")
    sent_at: dict[str, float] = {}
    try:
        futures = []
        for i, key in enumerate(keys):
            subject = f"c{i}"
            sent_at[subject] = time.time()
            futures.append(
                await producer.send(
                    topic,
                    value,
                    key=key.encode(),
                    headers=headers(subject.encode(), shape.header_bytes("submitted")),
                )
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent_at


class Progress:
    """What each worker says it has read, from its standard output."""

    def __init__(self) -> None:
        self.read: dict[str, tuple[int, float]] = {}  # group -> (records, when)
        self.tasks: list[asyncio.Task[None]] = []

    def follow(self, proc: asyncio.subprocess.Process) -> None:
        self.tasks.append(asyncio.create_task(self._follow(proc)))

    async def _follow(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            parts = line.split()
            if len(parts) == 4 and parts[0] == b"read":
                self.read[parts[1].decode()] = (int(parts[2]), float(parts[3]))

    def drained_at(self, expected: Mapping[str, int]) -> float | None:
        """When the last group read all it expects; None while one still has records to read."""
        got = [self.read.get(group, (0, 0.0)) for group in expected]
        if any(count < expected[group] for group, (count, _) in zip(expected, got, strict=True)):
            return None
        return max(when for _, when in got)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _wait(
    watcher: Watcher,
    progress: Progress,
    sent_at: Mapping[str, float],
    procs: Sequence[asyncio.subprocess.Process],
    timeout_s: float,
) -> float | None:
    """Until every application has its verdicts and every group has read all its records;
    when the last group had (wall clock), or None on timeout."""
    expected = {f.group: read_per_application(f) * len(sent_at) for f in FLOWS}
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if any(p.returncode not in (None, 0) for p in procs):
            raise RuntimeError("a ceiling worker failed; its error is above")
        if watcher.completed(sent_at, VERDICTS) >= len(sent_at):
            if (drained := progress.drained_at(expected)) is not None:
                return drained
            await asyncio.sleep(0.05)
        else:
            await watcher.wait_changed(1.0)
    return None


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2 or argv[0] != "worker":
        print(__doc__, file=sys.stderr)
        return 2
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # group joins and the kill at the end
    asyncio.run(worker(json.loads(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
