"""The suite the benchmark measures: Kafka, the store, a mail sink and the four services.

It runs on free ports with its data in `.run/bench/data` (wiped before and after), so a run
starts from empty topics and an empty store, never touches a `make up` suite or its data, and
two runs never see each other's applications. Logs stay in `.run/bench/logs`. One run at a
time: a run holds `.run/bench/lock` from before it wipes the data until its own suite is stopped
and its data wiped again, and a second run refuses to start meanwhile (`BenchBusy`), since the
first one's clean-up would wipe the second one's Kafka and store under them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import suitectl
from aiosmtpd.controller import Controller
from pymongo import MongoClient
from vouchers_shared import signing_key
from vouchers_shared.clock import anchored

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
SERVICE_NAMES = tuple(s.name for s in suitectl.SERVICES)
REFDATA_HOME = {"audit_reports": "vouchers_verification"}  # every other kind: eligibility


class MailCounter:
    """An SMTP sink that counts the letters and forgets them."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


@dataclass
class BenchSuite:
    bootstrap: str
    mongodb_url: str
    urls: dict[str, str]
    procs: dict[str, suitectl.ManagedProcess]
    env: dict[str, str]
    workdir: Path
    mail: MailCounter
    profiles: dict[str, Path] = field(default_factory=dict)

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.procs.items()}

    def load_refdata(self, kinds: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
        """Load each kind with the operators' command line; wait until the services hold it."""
        versions: dict[str, str] = {}
        env = {**os.environ, **self.env}
        for kind, items in kinds.items():
            path = self.workdir / f"refdata-{kind}.json"
            path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
            done = subprocess.run(  # noqa: S603 - our own command line, arguments built here
                [str(VENV_BIN / "vouchers"), "refdata", "load", kind, str(path)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if done.returncode != 0:
                raise RuntimeError(f"loading {kind} failed: {done.stderr.strip()}")
            versions[kind] = json.loads(done.stdout)["version"]
        client: MongoClient[dict[str, Any]]
        with MongoClient(self.mongodb_url) as client:
            deadline = time.monotonic() + 120
            while not all(_landed(client, kind, version) for kind, version in versions.items()):
                if time.monotonic() > deadline:
                    raise RuntimeError("reference data did not reach the services within 120 s")
                time.sleep(0.25)
        return versions


def _landed(client: MongoClient[dict[str, Any]], kind: str, version: str) -> bool:
    doc = client[REFDATA_HOME.get(kind, "vouchers_eligibility")]["refdata"].find_one(
        {"_id": kind}, {"version": 1}
    )
    return doc is not None and doc["version"] == version


def _start_profiled(name: str, env: dict[str, str], log_file: Path, session: Path) -> suitectl.ManagedProcess:
    """`python -m <name>` under pyinstrument's sampling profiler (written on SIGINT)."""
    service = next(s for s in suitectl.SERVICES if s.name == name)
    url = f"http://127.0.0.1:{env[service.port_env]}/health/ready"
    argv = [
        sys.executable,
        "-m",
        "pyinstrument",
        "-i",
        "0.002",
        "-r",
        "pyisession",
        "-o",
        str(session),
        "-m",
        name,
    ]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        popen = subprocess.Popen(  # noqa: S603 - our own services, fixed arguments
            argv,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return suitectl.ManagedProcess(name, popen.pid, log_file, url, lambda: suitectl.http_ready(url), popen)


def _stop_profiled(proc: suitectl.ManagedProcess, session: Path, out_dir: Path) -> None:
    """SIGINT lets uvicorn shut down and pyinstrument write its session; then render it."""
    os.kill(proc.pid, signal.SIGINT)
    if proc.popen is not None:
        try:
            proc.popen.wait(180)
        except subprocess.TimeoutExpired:
            suitectl.stop(proc, 5)
    if not session.is_file():
        print(f"[bench] no profile session was written for {proc.name}; see {proc.log_file}")
        return
    for renderer, suffix in (("text", "txt"), ("html", "html")):
        out = out_dir / f"bench-profile-{proc.name}.{suffix}"
        subprocess.run(  # noqa: S603 - our own profiler output, fixed arguments
            [
                sys.executable,
                "-m",
                "pyinstrument",
                f"--load={session}",
                "-r",
                renderer,
                "-o",
                str(out),
            ],
            check=False,
            capture_output=True,
            timeout=300,
        )
        print(f"[bench] profile of {proc.name}: {out}")


class BenchBusy(RuntimeError):
    """Another benchmark holds the run directory."""


@contextmanager
def held(run_dir: Path) -> Iterator[None]:
    """`run_dir`, this process's alone until the block ends (the lock goes with the process,
    however it ends); `BenchBusy` naming the holder if another process has it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "lock", "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise BenchBusy(
                f"another benchmark (pid {holder}) is running in {run_dir}; start this one once it "
                "has ended (its clean-up wipes the data this one would run on)"
            ) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)


@contextmanager
def bench_suite(
    run_dir: Path, clock: str, profile: str | None = None, replicas: int = 1
) -> Iterator[BenchSuite]:
    """Start everything, yield it ready, stop everything (also on Ctrl-C or an error).

    With `replicas` above one, each service runs that many processes, `<name>#2` and on, each
    on a port of its own, in the same consumer groups (the load generator spreads its requests
    over every intake process, as a load balancer would)."""
    suitectl.install()
    data, logs = run_dir / "data", run_dir / "logs"
    with ExitStack() as stack:
        stack.enter_context(held(run_dir))  # let go last, after the suite's clean-up
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)
        data.mkdir(parents=True)
        logs.mkdir(parents=True)
        stack.callback(shutil.rmtree, data, ignore_errors=True)
        kafka_port, controller_port, store_port, smtp_port, *ports = suitectl.free_ports(
            4 + len(suitectl.SERVICES) * replicas
        )
        kafka = suitectl.start_kafka(data / "kafka", kafka_port, controller_port, logs / "kafka.log")
        stack.callback(suitectl.stop, kafka)
        store = suitectl.start_store(data / "store", store_port, logs / "store.log")
        stack.callback(suitectl.stop, store)
        mail = MailCounter()
        controller = Controller(mail, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        stack.callback(controller.stop)
        for proc in (kafka, store):
            suitectl.wait_ready(proc)
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka.address,
            "MONGODB_URL": store.address,
            "VOUCHER_CLOCK": anchored(clock) or "",  # one program clock for all the services
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "VOUCHERS_TOKEN_KEY": signing_key.generate(),  # this run's own
            "STORE_COMMAND_COUNTS": "1",  # round trips per application (roundtrips.py)
            **{
                s.port_env: str(p)
                for s, p in zip(suitectl.SERVICES, ports[: len(suitectl.SERVICES)], strict=True)
            },
        }
        procs: dict[str, suitectl.ManagedProcess] = {"kafka": kafka, "store": store}
        urls: dict[str, str] = {}
        profiles: dict[str, Path] = {}
        extra_ports = iter(ports[len(suitectl.SERVICES) :])
        for replica in range(1, replicas + 1):
            for service in suitectl.SERVICES:
                name = service.name if replica == 1 else f"{service.name}#{replica}"
                own = env if replica == 1 else {**env, service.port_env: str(next(extra_ports))}
                log_file = logs / f"{name.replace('#', '-')}.log"
                if name == profile:
                    profiles[name] = data.parent / f"bench-profile-{name}.pyisession"
                    proc = _start_profiled(name, own, log_file, profiles[name])
                    stack.callback(_stop_profiled, proc, profiles[name], REPO / ".run")
                else:
                    proc = suitectl.start_service(service.name, own, log_file)
                    stack.callback(suitectl.stop, proc, 25.0)
                procs[name] = proc
                urls[name] = f"http://127.0.0.1:{own[service.port_env]}"
        for name in urls:
            suitectl.wait_ready(procs[name], timeout=180)
        yield BenchSuite(kafka.address, store.address, urls, procs, env, data, mail, profiles)


def replicas_of(name: str, names: Iterable[str]) -> list[str]:
    """The processes of service `name` among `names`: itself and its replicas `<name>#k`."""
    return [n for n in names if n == name or n.startswith(f"{name}#")]
