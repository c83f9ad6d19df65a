"""Kafka and the store as local processes of a test's own, which it may stop and start again.

The session's `infra` is shared by every test and must stay up; a fault test that takes Kafka or
the store away needs a pair of its own. Both keep their data directory and ports, so a restart
comes back with every topic, offset and document as it was.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import suitectl

from tests.support.infra import Infra


@dataclass
class OwnInfra:
    workdir: Path
    kafka_port: int
    controller_port: int
    store_port: int
    procs: dict[str, suitectl.ManagedProcess] = field(default_factory=dict)
    # How long each stop took, from SIGTERM to exit (a fault test reports them).
    stop_seconds: list[tuple[str, float]] = field(default_factory=list)

    @property
    def infra(self) -> Infra:
        return Infra(f"127.0.0.1:{self.kafka_port}", suitectl.mongodb_url(self.store_port), "local")

    def start(self, name: str, timeout: float = 180.0) -> None:
        """Start Kafka or the store on its data directory and ports; return once it answers."""
        if name == "kafka":
            proc = suitectl.start_kafka(
                self.workdir / "kafka", self.kafka_port, self.controller_port, self.workdir / "kafka.log"
            )
        else:
            proc = suitectl.start_store(self.workdir / "store", self.store_port, self.workdir / "store.log")
        self.procs[name] = proc
        suitectl.wait_ready(proc, timeout=timeout)

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM) -> float:
        """Stop Kafka or the store with `sig` (SIGKILL after 60 s); the seconds it took."""
        proc = self.procs.pop(name)
        started = time.monotonic()
        if sig == signal.SIGTERM:
            suitectl.stop(proc, grace=60.0)
        else:
            suitectl._signal_group(proc.pid, sig)
            suitectl._wait_exit(proc, 30.0)
        took = time.monotonic() - started
        self.stop_seconds.append((name, took))
        return took

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


@contextmanager
def own_infra(attempts: int = 3) -> Iterator[OwnInfra]:
    """Kafka and FerretDB on free ports with their data in a temporary directory (removed after)."""
    suitectl.install()
    for attempt in range(1, attempts + 1):
        with ExitStack() as stack:
            workdir = Path(tempfile.mkdtemp(prefix="vouchers-faults-"))
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            kafka_port, controller_port, store_port = suitectl.free_ports(3)
            own = OwnInfra(workdir, kafka_port, controller_port, store_port)
            stack.callback(own.stop_all)
            try:
                own.start("kafka")
                own.start("store")
            except suitectl.SuiteError as exc:
                # A free port can be taken between choosing it and the server binding it.
                if attempt == attempts or "already in use" not in str(exc).lower():
                    raise
                continue
            yield own
            return
