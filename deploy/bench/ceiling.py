"""The raw ceiling: aiokafka alone moving the pipeline's messages through the pipeline's hops.

Same broker, same number of messages, same value and header sizes, same keys (so the same
partitions), the same producer guarantees (acks=all, idempotence), and the same topology:

    submitted ──hop──► coi ──hop──► eligibility
        └──────hop──► verification

Each hop is its own process (as each service is), consuming in a group and producing the next
message, committing after each batch; no store, no parsing, no logic. The source produces from
the benchmark process and a watcher reads both ends, so the ceiling is timed the same way as
the pipeline: from the first message sent to the last final message's broker timestamp.

    python -m deploy.bench.ceiling hop BOOTSTRAP SOURCE SINK GROUP COUNT VALUE_BYTES
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.bench.load import percentiles
from deploy.bench.watch import Sizes, Stage, Watcher

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 12
PRODUCER_OPTIONS: dict[str, Any] = {"acks": "all", "enable_idempotence": True,
                                    "max_request_size": 16 * 1024 * 1024}


@dataclass(frozen=True)
class Shape:
    """Mean value and header sizes of the messages on each pipeline topic."""

    submitted: Sizes
    coi: Sizes
    eligibility: Sizes
    verification: Sizes


async def hop(bootstrap: str, source: str, sink: str, group: str, count: int, size: int) -> None:
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                max_poll_records=500)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_OPTIONS)
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():  # noqa: ASYNC110 - aiokafka joins the group in its own task
            await asyncio.sleep(0.05)
        print("ready", flush=True)
        value, moved = b"x" * size, 0
        while moved < count:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            sent = [await producer.send(sink, value, key=r.key, headers=list(r.headers))
                    for records in batches.values() for r in records]
            if sent:
                await asyncio.gather(*sent)
                await consumer.commit()
                moved += len(sent)
    finally:
        await producer.stop()
        await consumer.stop()


def _headers(subject: str, size: int) -> list[tuple[str, bytes]]:
    headers = [("ce_subject", subject.encode()), ("ce_id", str(uuid.uuid4()).encode())]
    used = sum(len(k) + len(v) for k, v in headers)
    return [*headers, ("ce_pad", b"h" * max(0, size - used - len("ce_pad")))]


async def _start_hop(args: Sequence[str]) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "deploy.bench.ceiling", "hop", *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    if line.strip() != b"ready":
        raise RuntimeError(f"ceiling hop {args[1]}→{args[2]} did not start")
    return proc


async def run_ceiling(bootstrap: str, keys: Sequence[str], shape: Shape,
                      timeout_s: float = 600) -> dict[str, Any]:
    """Move len(keys) messages through the hops; throughput and end-to-end latency."""
    run = uuid.uuid4().hex[:8]
    names = {s: f"bench.ceiling.{run}.{s}" for s in ("submitted", "coi", "eligibility", "verification")}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in names.values()])
    n = len(keys)
    hops = [("submitted", "coi", shape.coi), ("coi", "eligibility", shape.eligibility),
            ("submitted", "verification", shape.verification)]
    procs: list[asyncio.subprocess.Process] = []
    watcher = Watcher(bootstrap, (Stage("eligibility", names["eligibility"]),
                                  Stage("verification", names["verification"])))
    try:
        for src, dst, sizes in hops:
            procs.append(await _start_hop([bootstrap, names[src], names[dst], f"bench-ceiling-{run}-{dst}",
                                           str(n), str(sizes.mean_value())]))
        await watcher.start(from_end=False)
        sent_at, wall = await _produce(bootstrap, names["submitted"], keys, shape.submitted, watcher,
                                       procs, timeout_s)
    finally:
        await watcher.stop()
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
        await admin.delete_topics(list(names.values()))
        await admin.close()
    ends = {s: max(v.values()) for s, v in watcher.first.items() if len(v) == 2}
    span = max(ends.values()) - min(sent_at.values()) if ends else float("nan")
    return {"messages": n, "completed": len(ends), "span_s": round(span, 3), "wall_s": round(wall, 3),
            "throughput_msgs_per_s": round(len(ends) / span, 2) if ends else 0.0,
            "latency_s": percentiles([ends[s] - sent_at[s] for s in ends]),
            "value_bytes": {"submitted": shape.submitted.mean_value(), "coi": shape.coi.mean_value(),
                            "eligibility": shape.eligibility.mean_value(),
                            "verification": shape.verification.mean_value()},
            "header_bytes": shape.submitted.mean_headers()}


async def _produce(bootstrap: str, topic: str, keys: Sequence[str], sizes: Sizes, watcher: Watcher,
                   hops: Sequence[asyncio.subprocess.Process],
                   timeout_s: float) -> tuple[dict[str, float], float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_OPTIONS)
    await producer.start()
    value = b"x" * sizes.mean_value()
    sent_at: dict[str, float] = {}
    started = time.monotonic()
    try:
        futures = []
        for i, key in enumerate(keys):
            subject = f"c{i}"
            sent_at[subject] = time.time()
            futures.append(await producer.send(topic, value, key=key.encode(),
                                               headers=_headers(subject, sizes.mean_headers())))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    names = ("eligibility", "verification")
    while watcher.completed(sent_at, names) < len(keys):
        if time.monotonic() - started > timeout_s:
            break
        if any(hop.returncode not in (None, 0) for hop in hops):
            raise RuntimeError("a ceiling hop failed; its error is above")
        await watcher.wait_changed(1.0)
    return sent_at, time.monotonic() - started


def main(argv: Sequence[str]) -> int:
    if len(argv) != 7 or argv[0] != "hop":
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, source, sink, group, count, size = argv[1:]
    asyncio.run(hop(bootstrap, source, sink, group, int(count), int(size)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
