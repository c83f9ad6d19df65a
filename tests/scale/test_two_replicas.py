"""Two replicas of verification in one consumer group; one is SIGKILLed while applications
stream in, and every application is still verified exactly once.

The suite's own verification process and a second one started here share the group
`verification` and the 12 partitions of `vouchers.applications.v1`. Once the second replica
has produced verdicts it is killed without warning: the records it had fetched but not
committed come again to the survivor after the rebalance. A redelivery may re-publish a
verdict, but with the same event id (derived from the cause); a second, different verdict
for one application would be a double processing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import suitectl
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from vouchers_shared import topics

from tests.support.events import partition_numbers
from tests.support.samples import applicant_block, application_for, make_uscc
from tests.support.suite import Suite, wait_for

# The read model folds five events per application; on a busy machine with the local store
# that takes minutes, hence the longer limit than the suite's per-test default.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

APPLICATIONS = 200
KEPT_FOR_AFTER_THE_KILL = 80
IN_FLIGHT = 16


@pytest.fixture
def replica(suite: Suite, tmp_path: Path) -> Iterator[suitectl.ManagedProcess]:
    """A second verification process on the suite's settings, in the same consumer group."""
    (port,) = suitectl.free_ports(1)
    env = {
        **suite.env,
        "VERIFICATION_HTTP_PORT": str(port),
        "VOUCHER_CLOCK": suite.clocks["verification"],
    }  # the same program clock as the first
    proc = suitectl.start_service("verification", env, tmp_path / "verification-2.log")
    try:
        suitectl.wait_ready(proc, timeout=120.0)
        yield proc
    finally:
        suitectl.stop(proc, 15.0)


def verdicts_counted(url: str) -> float:
    """The replica's own count of verification verdicts (its /metrics)."""
    try:
        text = httpx.get(url.replace("/health/ready", "/metrics"), timeout=5.0).text
    except httpx.HTTPError:
        return 0.0
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "vouchers_verdicts"
        for sample in family.samples
        if sample.name == "vouchers_verdicts_total" and sample.labels.get("check") == "verification"
    )


def verdict_ids(bootstrap: str, subjects: set[str]) -> dict[str, list[str]]:
    """Every `verification.completed` event id on the topic, per application id of `subjects`."""
    return asyncio.run(_verdict_ids(bootstrap, subjects))


async def _verdict_ids(bootstrap: str, subjects: set[str]) -> dict[str, list[str]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topics.VERIFICATION, p)
            for p in await partition_numbers(bootstrap, topics.VERIFICATION)
        ]
        assert len(partitions) == 12
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        found: dict[str, list[str]] = defaultdict(list)
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(*partitions, timeout_ms=1000)).values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if (
                        headers.get("ce_type") == topics.VERIFICATION_COMPLETED
                        and headers.get("ce_subject") in subjects
                    ):
                        found[headers["ce_subject"]].append(headers["ce_id"])
        return dict(found)
    finally:
        await consumer.stop()


class Filer:
    """Files applications from a pool of threads and keeps the ids intake answered."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.ids: list[str] = []
        self.retried: list[str] = []  # answers worth another try (the store was busy)
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(IN_FLIGHT)

    def file(self, app: dict[str, Any]) -> Future[None]:
        return self._pool.submit(self._file, app)

    def _file(self, app: dict[str, Any]) -> None:
        """POST once; on a 5xx or a timeout again with the same Idempotency-Key, as a client would."""
        token = self.suite.tokens.issue("submitter", app["applicant"]["uscc"])
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        response: httpx.Response | None = None
        with httpx.Client(base_url=self.suite.urls["intake"], timeout=60.0, headers=headers) as client:
            for attempt in range(1, 6):
                try:
                    response = client.post("/v1/applications", json=app)
                except httpx.TimeoutException:
                    continue
                if response.status_code < 500:
                    break
                with self._lock:
                    self.retried.append(f"{response.status_code} {response.text[:200]}")
                time.sleep(0.2 * attempt)
        assert response is not None, "intake never answered"
        assert response.status_code == 202, response.text
        with self._lock:
            self.ids.append(str(response.json()["application_id"]))

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def test_killing_one_replica_mid_stream_verifies_every_application_exactly_once(
    suite: Suite, replica: suitectl.ManagedProcess
) -> None:
    base = applicant_block(APPLICATIONS)  # fresh applicants on every run
    apps = [application_for(make_uscc(base + i)) for i in range(APPLICATIONS)]
    filer = Filer(suite)
    try:
        before = [filer.file(app) for app in apps[:-KEPT_FOR_AFTER_THE_KILL]]
        wait_for(
            "the second replica's first verdicts",
            lambda: verdicts_counted(replica.address) >= 3,
            timeout=180,
            every=0.1,
        )
        os.killpg(replica.pid, signal.SIGKILL)
        assert replica.popen is not None
        replica.popen.wait(10)
        after = [filer.file(app) for app in apps[-KEPT_FOR_AFTER_THE_KILL:]]
        for future in [*before, *after]:
            future.result(timeout=120)
    finally:
        filer.close()
    ids = set(filer.ids)
    assert len(ids) == APPLICATIONS

    def every_verdict() -> dict[str, list[str]] | None:
        found = verdict_ids(suite.infra.kafka_bootstrap, ids)
        return found if found.keys() == ids else None

    seen: dict[str, list[str]] = wait_for(
        "a verification verdict for every application", every_verdict, timeout=240, every=2.0
    )
    twice = {app_id: sorted(set(events)) for app_id, events in seen.items() if len(set(events)) != 1}
    assert twice == {}, f"applications with more than one distinct verification verdict: {twice}"

    waiting = set(ids)
    auditor = {"Authorization": f"Bearer {suite.tokens.issue('auditor')}"}
    with httpx.Client(base_url=suite.urls["intake"], headers=auditor, timeout=60.0) as client:

        def read_model_caught_up() -> bool:
            for app_id in sorted(waiting):
                check = client.get(f"/v1/applications/{app_id}").json().get("checks", {})
                if check.get("verification", {}).get("outcome") not in (None, "pending"):
                    waiting.discard(app_id)
            return not waiting

        wait_for(
            "every application's verification check in the read model",
            read_model_caught_up,
            timeout=420,
            every=5.0,
        )
