"""The fault tests' own suite: Kafka, the store, a mail sink and the four services, which a
scenario may kill, stop and start while a batch of applications streams through.

A scenario files a batch (tests/support/batch.py), breaks something once the part it breaks
is busy with the batch, repairs it, waits until every application has come out of the other
end (or a deadline passes), and counts what came out (tests/support/tally.py). The counts go
to `.run/faults/<scenario>.json` and to stdout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import suitectl
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from vouchers_shared import topics

from tests.support.batch import Filer, Planned, audit_reports, plan
from tests.support.event_watch import EventWatch
from tests.support.filing import add_refdata
from tests.support.own_infra import OwnInfra, own_infra
from tests.support.refdata_loading import load_sample_refdata
from tests.support.suite import SERVICE_NAMES, Suite, run_suite, wait_for
from tests.support.tally import FINAL, Tally, count, letters_by_application, statuses

OUTPUT = {
    "intake": topics.APPLICATIONS,
    "eligibility": topics.ELIGIBILITY,
    "verification": topics.VERIFICATION,
    "notification": topics.DECISIONS,
}
CLOCK = "2026-05-20T10:00:00+08:00"
# Applications per scenario (FAULTS_BATCH to change it).
BATCH = int(os.environ.get("FAULTS_BATCH", "200"))
MAX_BATCHES = 10  # audit QR codes are registered up front for this many batches


@dataclass
class Stopped:
    service: str
    seconds: float
    returncode: int | None
    said_stopped: bool  # the log has `service_stopped` after the signal


@dataclass
class FaultRig:
    own: OwnInfra
    suite: Suite
    watch: EventWatch
    batches: int = 0
    stops: list[Stopped] = field(default_factory=list)

    # --- the services -------------------------------------------------------------------

    def kill(self, name: str) -> None:
        """SIGKILL the service's process group: no drain, no goodbye."""
        proc = self.suite.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.popen is not None
        proc.popen.wait(30)

    def terminate(self, name: str, grace: float) -> Stopped:
        """SIGTERM the service and wait for it to exit by itself (SIGKILL after `grace` s)."""
        proc = self.suite.procs.pop(name)
        log_size = proc.log_file.stat().st_size
        started = time.monotonic()
        suitectl.stop(proc, grace)
        seconds = time.monotonic() - started
        with proc.log_file.open("rb") as log:
            log.seek(log_size)
            said = b'"service_stopped"' in log.read()
        stopped = Stopped(name, seconds, proc.popen.returncode if proc.popen else None, said)
        self.stops.append(stopped)
        return stopped

    def start(self, *names: str) -> None:
        """Start the services again on their settings and on the program time they had reached."""
        self.suite._start(
            {
                n: {
                    **self.suite.running_env[n],
                    "VOUCHER_CLOCK": self.suite.clocks.get(n) or self.suite.first_clock or "",
                }
                for n in names
            }
        )

    def fresh_store(self) -> None:
        """Empty every collection but the reference data, so that each scenario starts from a
        store holding nothing of the scenarios before it: the local store reads a whole
        collection for any query not by id, and the services' periodic jobs run such queries."""
        with self.suite.store() as client:
            for database in client.list_database_names():
                if database.startswith("vouchers_"):
                    for name in client[database].list_collection_names():
                        if name not in ("refdata", "refdata_versions"):
                            client[database].drop_collection(name)

    def consumer_caught_up(self, group: str, topic: str) -> bool:
        """True when `group` has committed `topic` up to its end."""
        return asyncio.run(_lag(self.own.infra.kafka_bootstrap, group, topic)) == 0

    def all_ready(self) -> None:
        for name in SERVICE_NAMES:
            suitectl.wait_ready(self.suite.procs[name], timeout=180.0)

    # --- a scenario ---------------------------------------------------------------------

    def plan(self, size: int = BATCH) -> list[Planned]:
        assert self.batches < MAX_BATCHES, "register more audit QR codes (MAX_BATCHES)"
        self.batches += 1
        return plan(self.batches - 1, size)

    def progress(self, service: str, planned: list[Planned]) -> int:
        """How many applications of the batch `service` has published its event about so far."""
        topic = OUTPUT[service]
        return sum(
            1 for p in planned for i in self.watch.subjects_of(p.uscc) if self.watch.ids_about(i)[topic]
        )

    def when_busy(
        self, service: str, planned: list[Planned], share: float = 0.2, timeout: float = 120.0
    ) -> int:
        """Wait until `service` has handled `share` of the batch; how many it had then."""
        want = max(int(len(planned) * share), 1)
        done: int = wait_for(
            f"{service} to handle {want} of the batch",
            lambda: (n := self.progress(service, planned)) >= want and n,
            timeout=timeout,
            every=0.1,
        )
        return done

    def finished(self, planned: list[Planned], accepted: dict[str, str]) -> int:
        """Applications decided on Kafka (rejections with their letter), and once all are, those
        whose read model and case show their final status."""
        ids = set(accepted.values())
        decided = self.watch.decided(ids)
        letters = letters_by_application(self.suite.mail.messages, decided)
        rejected = {accepted[p.uscc] for p in planned if not p.approvable and p.uscc in accepted}
        done = {i for i in decided if i not in rejected or letters.get(i)}
        if len(done) < len(planned):
            return len(done)
        views, cases = statuses(self.suite, done)
        return sum(1 for i in done if views.get(i) in FINAL and cases.get(i) in FINAL)

    def run(
        self,
        scenario: str,
        fault: Callable[[list[Planned], Filer], dict[str, Any]],
        size: int = BATCH,
        within: float = 480.0,
    ) -> Tally:
        """File a batch while `fault` breaks and repairs something; count what came out."""
        self.all_ready()
        self.fresh_store()
        planned = self.plan(size)
        started = time.monotonic()
        filer = Filer(self.suite)
        try:
            filer.file(planned)
            notes = fault(planned, filer)
            filer.wait()
        finally:
            filer.close()
        assert not filer.refused, f"intake refused valid applications: {filer.refused[:3]}"
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.finished(planned, filer.accepted) < len(planned):
            time.sleep(1.0)
        counted = count(self.suite, self.watch, scenario, planned, filer.accepted)
        counted.seconds = round(time.monotonic() - started, 1)
        counted.notes.update(notes, client_retries=filer.retries, slowest_request_s=round(filer.slowest_s, 1))
        counted.write()
        print(f"\n[faults] {counted.line()}", flush=True)
        return counted


async def _lag(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = {
            tp: meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
            if tp.topic == topic
        }
        end = await consumer.end_offsets(list(committed)) if committed else {}
        return sum(max(end[tp] - offset, 0) for tp, offset in committed.items())
    finally:
        await consumer.stop()
        await admin.close()


@contextmanager
def fault_rig(workdir: Path, extra_env: dict[str, str] | None = None) -> Iterator[FaultRig]:
    """Own Kafka and store, the suite on them with the sample reference data and the audit
    QR codes of every batch the rig can plan."""
    with own_infra() as own, run_suite(own.infra, workdir, CLOCK, extra_env) as suite:
        load_sample_refdata(suite)
        add_refdata(suite, "audit_reports", audit_reports(MAX_BATCHES, BATCH))
        watch = EventWatch(own.infra.kafka_bootstrap).start()
        try:
            yield FaultRig(own, suite, watch)
        finally:
            watch.stop()
