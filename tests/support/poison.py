"""Poison messages for the topics the services consume, and reading back where they were parked.

Every poison message carries `x-poison: <n>` (kept in the dead-letter record with the other
original headers) and is keyed by a real applicant, so it shares partitions with good records.
Each consumer group of a topic parks it once: the dead-letter topic should hold one record per
poison message and consuming service.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from vouchers_shared import topics
from vouchers_shared.messaging.inbound import MAX_BODY_BYTES
from vouchers_shared.messaging.kafka import MAX_MESSAGE_BYTES

# topic -> its event type and the services whose consumer groups read it
CONSUMERS: dict[str, tuple[str, frozenset[str]]] = {
    topics.APPLICATIONS: (
        topics.APPLICATION_SUBMITTED,
        frozenset({"intake", "eligibility", "verification", "notification"}),
    ),
    topics.COI: (topics.COI_ASSESSED, frozenset({"intake", "eligibility", "notification"})),
    topics.ELIGIBILITY: (topics.ELIGIBILITY_ASSESSED, frozenset({"intake", "notification"})),
    topics.VERIFICATION: (topics.VERIFICATION_COMPLETED, frozenset({"intake", "notification"})),
    topics.DECISIONS: (topics.CASE_DECIDED, frozenset({"intake", "eligibility"})),
}
KINDS = ("malformed JSON", "wrong types", "unknown event type", "missing headers")
HUGE_ON = (topics.APPLICATIONS, topics.DECISIONS)  # a few bodies over the 4 MiB parse limit
HUGE_BYTES = MAX_BODY_BYTES + 512 * 1024


@dataclass(frozen=True)
class Poison:
    n: int
    kind: str
    topic: str
    key: str
    headers: dict[str, str]
    body: bytes


def _headers(n: int, event_type: str) -> dict[str, str]:
    return {
        "ce_id": f"poison-{n}",
        "ce_type": event_type,
        "ce_source": "/tests/poison",
        "ce_specversion": "1.0",
        "ce_subject": f"POISON-{n}",
        "ce_time": datetime.now(UTC).isoformat(),
        "content-type": "application/json",
    }


def poison(n: int, kind: str, topic: str, key: str) -> Poison:
    event_type = CONSUMERS[topic][0]
    headers = {**_headers(n, event_type), "x-poison": str(n)}
    body = json.dumps({"application_id": f"POISON-{n}", "applicant_uscc": key}).encode()
    if kind == "malformed JSON":
        body = body[: len(body) // 2]
    elif kind == "wrong types":
        body = json.dumps(
            {
                "application_id": n,
                "applicant_uscc": True,
                "outcome": 3.5,
                "status": None,
                "findings": "none",
                "application": [n],
            }
        ).encode()
    elif kind == "unknown event type":
        headers["ce_type"] = "application.exploded"
    elif kind == "missing headers":
        headers = {"x-poison": str(n)}
    elif kind == "huge body":
        padding = "x" * HUGE_BYTES
        body = json.dumps(
            {"application_id": f"POISON-{n}", "applicant_uscc": key, "padding": padding}
        ).encode()
        assert MAX_BODY_BYTES < len(body) < MAX_MESSAGE_BYTES
    return Poison(n, kind, topic, key, headers, body)


def mix(count: int, keys: Sequence[str], huge: int = 4) -> list[Poison]:
    """`count` poison messages: `huge` bodies over the parse limit, the rest of KINDS in turn,
    spread over the consumed topics, each keyed by one of `keys`."""
    out = [poison(n, "huge body", HUGE_ON[n % len(HUGE_ON)], keys[n % len(keys)]) for n in range(huge)]
    names = list(CONSUMERS)
    for n in range(huge, count):
        out.append(
            poison(n, KINDS[n % len(KINDS)], names[(n // len(KINDS)) % len(names)], keys[n % len(keys)])
        )
    return out


def expected(parked: Sequence[Poison]) -> Counter[str]:
    """How many dead-letter records each dead-letter topic should get."""
    return Counter(
        {
            topics.dlq_topic(t): sum(len(CONSUMERS[p.topic][1]) for p in parked if p.topic == t)
            for t in CONSUMERS
        }
    )


class Producer:
    """Publishes straight onto the topics, as a misbehaving producer elsewhere would."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap

    def send(self, batches: Iterator[Sequence[Poison]], between: float) -> None:
        asyncio.run(self._send(batches, between))

    async def _send(self, batches: Iterator[Sequence[Poison]], between: float) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            max_request_size=MAX_MESSAGE_BYTES,
        )
        await producer.start()
        try:
            for batch in batches:
                sent = [
                    await producer.send(
                        p.topic,
                        p.body,
                        key=p.key.encode(),
                        headers=[(k, v.encode()) for k, v in p.headers.items()],
                    )
                    for p in batch
                ]
                await asyncio.gather(*sent)
                await asyncio.sleep(between)
        finally:
            await producer.stop()


@dataclass(frozen=True)
class Parked:
    topic: str  # the dead-letter topic
    partition: int
    offset: int
    headers: dict[str, str]


def parked(bootstrap: str) -> list[Parked]:
    """Every record on the dead-letter topics of the consumed topics, up to their current end."""
    return asyncio.run(_parked(bootstrap))


async def _parked(bootstrap: str) -> list[Parked]:
    dlqs = [topics.dlq_topic(t) for t in CONSUMERS]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(dlqs)
    finally:
        await admin.close()
    tps = [TopicPartition(d["topic"], int(p["partition"])) for d in described for p in d["partitions"]]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=MAX_MESSAGE_BYTES
    )
    await consumer.start()
    found: list[Parked] = []
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for tp, records in (await consumer.getmany(*tps, timeout_ms=1000)).items():
                found.extend(
                    Parked(
                        tp.topic,
                        tp.partition,
                        r.offset,
                        {k: v.decode(errors="replace") for k, v in r.headers},
                    )
                    for r in records
                    if r.offset < end[tp]
                )
        return found
    finally:
        await consumer.stop()


def by_poison(records: Sequence[Parked]) -> dict[tuple[str, str], list[str]]:
    """(x-poison, dead-letter topic) -> the services that parked it (a repeat listed twice)."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if "x-poison" in record.headers:
            out[(record.headers["x-poison"], record.topic)].append(record.headers.get("dlq_service", "?"))
    return out
