"""Reads the suite's event topics from the beginning, continuously, in a thread of its own.

A test asks it what has been published about an application (the distinct event ids per topic,
the verdicts' outcomes) without reading the topics again or asking the store. It rides out a
broker restart: the consumer reconnects and goes on from where it was.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, defaultdict
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from vouchers_shared import topics

COUNTED = {  # topic -> the event type counted on it
    topics.APPLICATIONS: topics.APPLICATION_SUBMITTED,
    topics.COI: topics.COI_ASSESSED,
    topics.ELIGIBILITY: topics.ELIGIBILITY_ASSESSED,
    topics.VERIFICATION: topics.VERIFICATION_COMPLETED,
    topics.DECISIONS: topics.CASE_DECIDED,
}
KEPT = ("outcome", "voucher", "status")  # of each body: what the tally reads
FILED_BY = "/vouchers/intake"  # the source of every genuine application.submitted


class EventWatch:
    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._lock = threading.Lock()
        self._ids: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._records: Counter[str] = Counter()  # records per subject, repeats included
        self._subjects: dict[str, set[str]] = defaultdict(set)  # applicant key -> application ids
        self._bodies: dict[tuple[str, str], dict[str, Any]] = {}
        self._positions: dict[TopicPartition, int] = {}
        self._ready = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._run(),), daemon=True, name="event-watch"
        )

    def start(self) -> EventWatch:
        self._thread.start()
        if not self._ready.wait(120):
            raise AssertionError(f"the event watch could not read the topics on {self._bootstrap}")
        return self

    def stop(self) -> None:
        self._stopping = True
        self._thread.join(30)

    # --- what a test asks -------------------------------------------------------------

    def ids_about(self, subject: str) -> dict[str, set[str]]:
        """Distinct event ids about `subject`, per topic (every counted topic present)."""
        with self._lock:
            seen = self._ids.get(subject, {})
            return {t: set(seen.get(t, ())) for t in COUNTED}

    def subjects_of(self, key: str) -> set[str]:
        """The application ids whose submission was published under applicant `key`."""
        with self._lock:
            return set(self._subjects.get(key, ()))

    def body(self, topic: str, event_id: str) -> dict[str, Any]:
        with self._lock:
            return self._bodies[(topic, event_id)]

    def copies(self, subject: str) -> int:
        """Records about `subject` beyond one per distinct event id (redeliveries re-published)."""
        with self._lock:
            distinct = sum(len(ids) for ids in self._ids.get(subject, {}).values())
            return self._records[subject] - distinct

    def decided(self, subjects: set[str]) -> set[str]:
        """Those of `subjects` with a `case.decided` event."""
        with self._lock:
            return {s for s in subjects if self._ids.get(s, {}).get(topics.DECISIONS)}

    def catch_up(self, timeout: float = 120.0) -> None:
        """Return once everything on the topics right now has been read."""
        future = asyncio.run_coroutine_threadsafe(self._consumer.end_offsets(self._partitions), self._loop)
        end: dict[TopicPartition, int] = future.result(timeout)
        deadline = time.monotonic() + timeout
        while any(self._positions.get(tp, 0) < offset for tp, offset in end.items()):
            if time.monotonic() > deadline:
                raise AssertionError("the event watch did not catch up with the topics")
            time.sleep(0.1)

    # --- reading --------------------------------------------------------------------

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            max_partition_fetch_bytes=32 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        await self._consumer.start()
        try:
            self._partitions = [
                TopicPartition(t, p) for t in COUNTED for p in sorted(await self._partition_numbers(t))
            ]
            self._consumer.assign(self._partitions)
            await self._consumer.seek_to_beginning(*self._partitions)
            self._ready.set()
            while not self._stopping:
                batches = await self._consumer.getmany(timeout_ms=300)
                with self._lock:
                    for tp, records in batches.items():
                        for record in records:
                            self._take(record)
                        self._positions[tp] = records[-1].offset + 1
        finally:
            await self._consumer.stop()

    async def _partition_numbers(self, topic: str) -> set[int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            (described,) = await admin.describe_topics([topic])
        finally:
            await admin.close()
        numbers = {int(p["partition"]) for p in described.get("partitions", [])}
        if not numbers:
            raise AssertionError(f"{topic} has no partitions")
        return numbers

    def _take(self, record: ConsumerRecord) -> None:
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        subject, event_id = headers.get("ce_subject"), headers.get("ce_id")
        if subject is None or event_id is None or headers.get("ce_type") != COUNTED[record.topic]:
            return
        self._ids[subject][record.topic].add(event_id)
        self._records[subject] += 1
        if (
            record.topic == topics.APPLICATIONS
            and record.key is not None
            and headers.get("ce_source") == FILED_BY
        ):
            self._subjects[record.key.decode(errors="replace")].add(subject)
        if record.topic in (topics.ELIGIBILITY, topics.VERIFICATION, topics.DECISIONS):
            try:
                body = json.loads(record.value)
            except ValueError:
                return
            if isinstance(body, dict):
                self._bodies[(record.topic, event_id)] = {k: body.get(k) for k in KEPT}
