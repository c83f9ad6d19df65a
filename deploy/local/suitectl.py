"""Local process manager for the voucher suite, without Docker.

Runs Apache Kafka (KRaft, one combined broker+controller), FerretDB (MongoDB wire
protocol on SQLite) and the four services as background processes:

    .venv/bin/python deploy/local/suitectl.py install|up|down|clean|status [--infra-only]

`up` writes .run/pids/<name>.pid, .run/logs/<name>.log and keeps data under .run/data/.
The tests import this module to run Kafka and the store on free ports of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
KAFKA_HOME = REPO / "deploy" / "local" / "kafka"
KAFKA_LIBS = KAFKA_HOME / "libs"
FERRETDB_HOME = REPO / "deploy" / "local" / "ferretdb"
FERRETDB_BIN = FERRETDB_HOME / "ferretdb"
JAVA_STORE_HOME = REPO / "deploy" / "local" / "mongo-java-server"
JAVA_STORE_LIBS = JAVA_STORE_HOME / "libs"
JAVA_STORE_CLASSES = JAVA_STORE_HOME / "classes"
RUN_DIR = REPO / ".run"
PID_DIR = RUN_DIR / "pids"
LOG_DIR = RUN_DIR / "logs"
DATA_DIR = RUN_DIR / "data"
MAIL_DIR = RUN_DIR / "mail"
CLOCK_FILE = PID_DIR / "clock"  # the anchored VOUCHER_CLOCK of the services `up` started
TOKEN_KEY_FILE = RUN_DIR / "token.key"  # this installation's token-signing key; `clean` keeps it

KAFKA_PORT = 9092
KAFKA_CONTROLLER_PORT = 9093
STORE_PORT = 27017
MAIL_PORT = 1025  # the local mail sink; the services' default SMTP_PORT
PROMETHEUS_PORT = 9090
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
# The local node compiles with C1 only: C2 kept compiling for minutes after every start, 0.4-1% of
# a core with nothing to do, and on two cores its compilations cost the broker more CPU per
# application in a benchmark run than the faster code won back (deploy/bench/HISTORY.md). Without
# hsperfdata the JVM's sampler no longer wakes every 50 ms (jcmd still attaches by pid).
KAFKA_JVM_OPTS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
)
FERRETDB_SOURCES = ("go.mod", "go.sum", "main.go", "idindex.go", "loghandler.go")
JAVA_STORE_SOURCES = ("pom.xml", "StoreMain.java")
JAVA_STORE_OPTS = ("-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
# The local store: FerretDB on SQLite, or mongo-java-server on H2's MVStore (README, "Benchmark").
STORES = ("ferretdb", "mongo-java-server")


class SuiteError(RuntimeError):
    """Something the local suite cannot do; the message says what and where to look."""


@dataclass(frozen=True)
class Service:
    name: str  # also the Python package run with `python -m`
    port_env: str
    default_port: int

    @property
    def port(self) -> int:
        return int(os.environ.get(self.port_env, self.default_port))


SERVICES = (
    Service("intake", "INTAKE_HTTP_PORT", 8080),
    Service("eligibility", "ELIGIBILITY_HTTP_PORT", 8081),
    Service("verification", "VERIFICATION_HTTP_PORT", 8082),
    Service("notification", "NOTIFICATION_HTTP_PORT", 8083),
)
NAMES = ("kafka", "store", "mail", *(s.name for s in SERVICES), "prometheus")
OPTIONAL = frozenset({"prometheus"})  # started when installed; its absence is no failure


def mongodb_url(port: int = STORE_PORT) -> str:
    return f"mongodb://127.0.0.1:{port}/?retryWrites=false"


@dataclass
class ManagedProcess:
    """A process started here (popen set) or found through its pid file."""

    name: str
    pid: int
    log_file: Path
    address: str  # where it answers: host:port for Kafka, a URL otherwise
    check: Callable[[], bool] = field(repr=False)
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return pid_alive(self.pid)

    def answers(self) -> bool:
        return self.check()


def say(message: str) -> None:
    print(f"[suitectl] {message}", flush=True)


# --- processes -------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _spawn(
    argv: Sequence[str], log_file: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        log.flush()
        return subprocess.Popen(  # noqa: S603 - argv is built here, never from input
            list(argv),
            cwd=REPO,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() signals the whole group
        )


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_exit(proc: ManagedProcess, timeout: float) -> bool:
    if proc.popen is not None:
        try:
            proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while pid_alive(proc.pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# A service drains for up to GRACEFUL_TIMEOUT_S (20 s) of open requests, then as long again
# for in-flight messages and periodic rounds; like docker-compose's stop_grace_period, the
# SIGKILL comes only after both.
STOP_GRACE_S = 45.0


def stop(proc: ManagedProcess, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after `grace` seconds."""
    _signal_group(proc.pid, signal.SIGTERM)
    if not _wait_exit(proc, grace):
        say(f"{proc.name}: still running after {grace:.0f}s, killing it")
        _signal_group(proc.pid, signal.SIGKILL)
        _wait_exit(proc, 10.0)
    _signal_group(proc.pid, signal.SIGKILL)  # anything the leader left behind in its group


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float = 120.0,
    proc: ManagedProcess | None = None,
) -> None:
    """Poll `check` until it is true; raise SuiteError if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and not proc.alive():
            raise SuiteError(
                f"{what} exited before it answered; end of {proc.log_file}:\n" + log_tail(proc.log_file)
            )
        if time.monotonic() > deadline:
            where = f"; end of {proc.log_file}:\n{log_tail(proc.log_file)}" if proc else ""
            raise SuiteError(f"{what} did not answer within {timeout:.0f}s{where}")
        time.sleep(0.25)


def wait_ready(proc: ManagedProcess, timeout: float = 120.0) -> None:
    """Return once `proc` answers (Kafka metadata, store ping, GET /health/ready)."""
    wait_until(proc.check, f"{proc.name} at {proc.address}", timeout, proc)


# --- ports and readiness checks --------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports free on 127.0.0.1 right now (the OS picks them)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _ensure_port_free(port: int, what: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise SuiteError(f"{what}: port {port} is already in use by another process") from None


def _run_coroutine(coro: Coroutine[Any, Any, bool]) -> bool:
    # A thread of its own, so this works whether or not the caller runs an event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _kafka_metadata(bootstrap: str, request_timeout: float) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(request_timeout * 1000))
    try:
        await admin.start()
        await admin.list_topics()
    except Exception:  # not ready yet, whatever the reason
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    return True


def kafka_ready(bootstrap: str, timeout: float = 5.0) -> bool:
    """True once a Kafka metadata request to `bootstrap` answers."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    if not port_open(host, int(port)):
        return False
    return _run_coroutine(_kafka_metadata(bootstrap, timeout))


def store_ready(url: str, timeout: float = 2.0) -> bool:
    """True once the MongoDB-protocol store at `url` answers `ping`."""
    import pymongo
    import pymongo.errors

    ms = int(timeout * 1000)
    try:
        client: pymongo.MongoClient[dict[str, Any]]
        with pymongo.MongoClient(url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms) as client:
            client.admin.command("ping")
    except pymongo.errors.PyMongoError:
        return False
    return True


def http_ready(url: str, timeout: float = 2.0) -> bool:
    """True when GET `url` answers 200."""
    if not url.startswith("http://"):
        raise ValueError(url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


# --- installing ------------------------------------------------------------------------


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _run_step(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
    result = subprocess.run(  # noqa: S603
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-4000:]
        raise SuiteError(f"`{' '.join(argv)}` failed in {cwd}:\n{output}")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SuiteError(f"`{name}` is not on PATH")
    return path


def install_kafka(force: bool = False) -> Path:
    """Resolve Kafka's jars from deploy/local/kafka/pom.xml into libs/ (skipped when current)."""
    stamp = KAFKA_LIBS / ".pom.sha256"
    want = _digest(KAFKA_HOME / "pom.xml")
    if not force and stamp.is_file() and stamp.read_text().strip() == want:
        return KAFKA_LIBS
    say("installing Kafka jars with Maven ...")
    started = time.monotonic()
    _copy_jars(KAFKA_HOME, KAFKA_LIBS)
    stamp.write_text(want + "\n")
    say(f"Kafka jars ready in {time.monotonic() - started:.1f}s ({KAFKA_LIBS})")
    return KAFKA_LIBS


def _copy_jars(pom_dir: Path, libs: Path) -> None:
    """Resolve the runtime dependencies of `pom_dir`/pom.xml into `libs` (emptied first)."""
    shutil.rmtree(libs, ignore_errors=True)
    _run_step(
        [_tool("mvn"), "-q", "-B", "dependency:copy-dependencies",
         "-DincludeScope=runtime", f"-DoutputDirectory={libs}"],
        cwd=pom_dir,
    )  # fmt: skip


def _built_hash() -> str:
    try:
        result = subprocess.run(  # noqa: S603
            [str(FERRETDB_BIN), "-source-hash"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip()


def install_ferretdb(force: bool = False) -> Path:
    """Build deploy/local/ferretdb/ferretdb with Go (skipped when built from these sources)."""
    want = _digest(*(FERRETDB_HOME / name for name in FERRETDB_SOURCES))
    if not force and FERRETDB_BIN.is_file() and _built_hash() == want:
        return FERRETDB_BIN
    say("building FerretDB with Go ...")
    started = time.monotonic()
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly"}
    partial = FERRETDB_BIN.with_name("ferretdb.partial")
    _run_step(
        [_tool("go"), "build", "-trimpath", "-tags", "ferretdb_no_postgresql",
         "-ldflags", f"-s -w -X main.sourceHash={want}", "-o", str(partial), "."],
        cwd=FERRETDB_HOME, env=env,
    )  # fmt: skip
    partial.replace(FERRETDB_BIN)
    say(f"FerretDB built in {time.monotonic() - started:.1f}s ({FERRETDB_BIN})")
    return FERRETDB_BIN


def install_java_store(force: bool = False) -> Path:
    """Resolve mongo-java-server's jars into libs/ and compile StoreMain.java against them
    (skipped when current)."""
    stamp = JAVA_STORE_CLASSES / ".sources.sha256"
    want = _digest(*(JAVA_STORE_HOME / name for name in JAVA_STORE_SOURCES))
    if not force and stamp.is_file() and stamp.read_text().strip() == want:
        return JAVA_STORE_CLASSES
    say("installing mongo-java-server with Maven ...")
    started = time.monotonic()
    shutil.rmtree(JAVA_STORE_CLASSES, ignore_errors=True)
    _copy_jars(JAVA_STORE_HOME, JAVA_STORE_LIBS)
    _run_step(
        [_tool("javac"), "-d", str(JAVA_STORE_CLASSES), "-cp", f"{JAVA_STORE_LIBS}/*", "StoreMain.java"],
        cwd=JAVA_STORE_HOME,
    )
    stamp.write_text(want + "\n")
    say(f"mongo-java-server ready in {time.monotonic() - started:.1f}s ({JAVA_STORE_CLASSES})")
    return JAVA_STORE_CLASSES


def local_store() -> str:
    """The store `start_store` runs: LOCAL_STORE, FerretDB when unset."""
    name = os.environ.get("LOCAL_STORE") or STORES[0]
    if name not in STORES:
        raise SuiteError(f"LOCAL_STORE={name!r}: the local store is one of {', '.join(STORES)}")
    return name


def install() -> None:
    install_kafka()
    if local_store() == "mongo-java-server":
        install_java_store()
    else:
        install_ferretdb()


# --- starting the parts ----------------------------------------------------------------


def new_cluster_id() -> str:
    """A Kafka Uuid: 16 random bytes, URL-safe base64 without padding (22 characters)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):  # would read as an option on the command line
            return cluster_id


def _kafka_argv(main: str, *args: str, heap: Sequence[str] = KAFKA_JVM_OPTS) -> list[str]:
    return [
        _tool("java"), *heap, "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={KAFKA_HOME / 'log4j2.properties'}",
        "-cp", f"{KAFKA_LIBS}/*", main, *args,
    ]  # fmt: skip


def write_kafka_config(data_dir: Path, port: int, controller_port: int) -> Path:
    template = string.Template((KAFKA_HOME / "server.properties.template").read_text())
    config = data_dir / "server.properties"
    config.write_text(
        template.substitute(port=port, controller_port=controller_port, log_dirs=data_dir / "kraft-logs")
    )
    return config


def start_kafka(
    data_dir: Path,
    port: int = KAFKA_PORT,
    controller_port: int = KAFKA_CONTROLLER_PORT,
    log_file: Path | None = None,
) -> ManagedProcess:
    """Start a single-node KRaft Kafka keeping its data in `data_dir` (formatted on first use)."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_file or data_dir / "kafka.log"
    _ensure_port_free(port, "kafka")
    _ensure_port_free(controller_port, "kafka controller")
    config = write_kafka_config(data_dir, port, controller_port)
    if not (data_dir / "kraft-logs" / "meta.properties").is_file():
        argv = _kafka_argv(
            "kafka.tools.StorageTool", "format", "--standalone",
            "-t", new_cluster_id(), "-c", str(config), heap=("-Xmx256m",),
        )  # fmt: skip
        if _spawn(argv, log_file).wait() != 0:
            raise SuiteError(f"formatting Kafka storage failed; see {log_file}")
    popen = _spawn(_kafka_argv("kafka.Kafka", str(config)), log_file)
    bootstrap = f"127.0.0.1:{port}"
    return ManagedProcess("kafka", popen.pid, log_file, bootstrap, lambda: kafka_ready(bootstrap), popen)


def start_store(data_dir: Path, port: int = STORE_PORT, log_file: Path | None = None) -> ManagedProcess:
    """Start the local store (`local_store`) on 127.0.0.1:`port` with its files in `data_dir`."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_file or data_dir / "store.log"
    _ensure_port_free(port, "store")
    if local_store() == "mongo-java-server":
        classpath = f"{JAVA_STORE_CLASSES}:{JAVA_STORE_LIBS}/*"
        address = ["127.0.0.1", str(port), str(data_dir / "store.mv")]
        argv = [_tool("java"), *JAVA_STORE_OPTS, "-cp", classpath, "StoreMain", *address]
    else:
        argv = [str(FERRETDB_BIN), "-listen-addr", f"127.0.0.1:{port}", "-data-dir", str(data_dir)]
        if pprof := os.environ.get("FERRETDB_PPROF_ADDR"):  # Go's profiler, for `make bench` work
            argv += ["-pprof-addr", pprof]
    popen = _spawn(argv, log_file)
    url = mongodb_url(port)
    return ManagedProcess("store", popen.pid, log_file, url, lambda: store_ready(url), popen)


def prometheus_binary() -> str | None:
    """Debian's `prometheus` package, when installed (`make install` installs it)."""
    return shutil.which("prometheus")


def start_prometheus(
    data_dir: Path, port: int = PROMETHEUS_PORT, log_file: Path | None = None,
    config: Path = PROMETHEUS_CONFIG,
) -> ManagedProcess:
    """Prometheus on 127.0.0.1:`port` scraping the suite, with the alert rules of deploy/prometheus."""
    binary = prometheus_binary()
    if binary is None:
        raise SuiteError("`prometheus` is not on PATH (apt-get install prometheus)")
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_file or data_dir / "prometheus.log"
    _ensure_port_free(port, "prometheus")
    argv = [binary, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=7d",
            "--web.enable-lifecycle"]
    popen = _spawn(argv, log_file)
    url = f"http://127.0.0.1:{port}/-/ready"
    return ManagedProcess("prometheus", popen.pid, log_file, url, lambda: http_ready(url), popen)


def mail_port() -> int:
    return int(os.environ.get("SMTP_PORT", MAIL_PORT))


def start_mail_sink(directory: Path, port: int, log_file: Path) -> ManagedProcess:
    """A local SMTP server on 127.0.0.1:`port` keeping each message as `directory`/<n>.eml."""
    _ensure_port_free(port, "mail")
    argv = [_python(), str(Path(__file__).resolve()), "mail-sink", "--port", str(port),
            "--dir", str(directory)]
    popen = _spawn(argv, log_file)
    return ManagedProcess("mail", popen.pid, log_file, f"smtp://127.0.0.1:{port}",
                          lambda: port_open("127.0.0.1", port), popen)


def serve_mail(directory: Path, port: int) -> None:
    """Run the mail sink until SIGTERM: every message received is written to a numbered file."""
    import threading

    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.stem) for p in directory.glob("*.eml") if p.stem.isdigit()]
    counter = iter(range(max(numbers, default=0) + 1, sys.maxsize))

    class Keep:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            path = directory / f"{next(counter)}.eml"
            partial = path.with_suffix(".partial")
            partial.write_bytes(envelope.original_content or envelope.content)
            partial.replace(path)
            print(f"mail {path.name} from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}",
                  flush=True)
            return "250 OK"

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"mail sink on 127.0.0.1:{port}, writing to {directory}", flush=True)
    try:
        stopped.wait()
    finally:
        controller.stop()


def _python() -> str:
    venv_python = REPO / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def _service(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    raise SuiteError(f"no service named {name!r}")


def start_service(name: str, env: Mapping[str, str], log_file: Path) -> ManagedProcess:
    """Start `python -m <name>` with os.environ updated by `env`."""
    service = _service(name)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    port = int(full_env.get(service.port_env, service.default_port))
    _ensure_port_free(port, name)
    popen = _spawn([_python(), "-m", name], log_file, full_env)
    url = f"http://127.0.0.1:{port}/health/ready"
    return ManagedProcess(name, popen.pid, log_file, url, lambda: http_ready(url), popen)


def installation_token_key(path: Path | None = None) -> str:
    """The token-signing key of this installation (.run/token.key): random, made on the first
    `up` (mode 0600) and kept for the next ones, so that tokens already handed out stay valid."""
    from vouchers_shared import signing_key

    path = path or TOKEN_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(signing_key.generate() + "\n")
    path.chmod(0o600)  # a copy made readable to others since is narrowed again
    key = path.read_text().strip()
    if (why := signing_key.refusal(key)) is not None:
        raise SuiteError(f"{path}: the key {why}; delete the file and `up` makes a new one")
    return key


def suite_env() -> dict[str, str]:
    """What `up` gives every service besides the caller's own environment."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}",
        "MONGODB_URL": mongodb_url(),
        "VOUCHERS_TOKEN_KEY": installation_token_key(),
        "VOUCHERS_LOCAL_MODE": "true",  # POST /v1/dev/tokens, for trying the API
    }
    env.update({s.port_env: str(s.port) for s in SERVICES})
    return env


def has_main(package: str) -> bool:
    try:
        return importlib.util.find_spec(f"{package}.__main__") is not None
    except ImportError:
        return False


# --- the suite under .run/ -------------------------------------------------------------


def _pid_file(name: str) -> Path:
    return PID_DIR / f"{name}.pid"


def _is_ours(name: str, pid: int) -> bool:
    try:
        if os.readlink(f"/proc/{pid}/cwd") != str(REPO):
            return False
    except OSError:
        return False
    argv = _cmdline(pid)
    if name == "kafka":
        return "kafka.Kafka" in argv
    if name == "store":
        return bool(argv) and (argv[0] == str(FERRETDB_BIN) or "StoreMain" in argv)
    if name == "prometheus":
        return (bool(argv) and Path(argv[0]).name == "prometheus"
                and f"--config.file={PROMETHEUS_CONFIG}" in argv)
    if name == "mail":
        return "mail-sink" in argv and argv[1:2] == [str(Path(__file__).resolve())]
    return argv[1:3] == ["-m", name]


def running_pid(name: str) -> int | None:
    """The pid in .run/pids/<name>.pid if that process is alive and is ours."""
    try:
        pid = int(_pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) and _is_ours(name, pid) else None


def _suite_process(name: str, pid: int) -> ManagedProcess:
    log_file = LOG_DIR / f"{name}.log"
    if name == "kafka":
        bootstrap = f"127.0.0.1:{KAFKA_PORT}"
        return ManagedProcess(name, pid, log_file, bootstrap, lambda: kafka_ready(bootstrap))
    if name == "store":
        url = mongodb_url()
        return ManagedProcess(name, pid, log_file, url, lambda: store_ready(url))
    if name == "prometheus":
        ready = f"http://127.0.0.1:{PROMETHEUS_PORT}/-/ready"
        return ManagedProcess(name, pid, log_file, ready, lambda: http_ready(ready))
    if name == "mail":
        port = mail_port()
        return ManagedProcess(name, pid, log_file, f"smtp://127.0.0.1:{port}",
                              lambda: port_open("127.0.0.1", port))
    url = f"http://127.0.0.1:{_service(name).port}/health/ready"
    return ManagedProcess(name, pid, log_file, url, lambda: http_ready(url))


def service_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The settings `up` passes through to the services (README, "Settings")."""
    keys = ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "VOUCHER_", "VOUCHERS_LOCAL_MODE")
    settings = {
        k: v for k, v in sorted(env.items()) if k.startswith(("SMTP_", *keys)) or k.endswith("_HTTP_PORT")
    }
    if key := env.get("VOUCHERS_TOKEN_KEY"):  # a new key restarts the services; it is not written
        settings["VOUCHERS_TOKEN_KEY_SHA256"] = hashlib.sha256(key.encode()).hexdigest()
    return settings


def suite_clock(setting: str | None) -> str:
    """The one VOUCHER_CLOCK every service `up` starts gets: a plain instant anchored to the
    wall clock once (vouchers_shared.clock), so all the services read the same program time.
    While a service still runs on an anchor for the same instant, that anchor is kept (a service
    started again joins the others); otherwise time starts at the instant now."""
    from vouchers_shared.clock import keep_or_anchor

    running = any(running_pid(s.name) is not None for s in SERVICES)
    kept = CLOCK_FILE.read_text().strip() if running and CLOCK_FILE.is_file() else None
    resolved = keep_or_anchor(setting, kept)
    PID_DIR.mkdir(parents=True, exist_ok=True)
    CLOCK_FILE.write_text(f"{resolved}\n")
    if resolved:
        say(f"program clock: VOUCHER_CLOCK={resolved}")
    return resolved


def _ensure(
    name: str, start: Callable[[], ManagedProcess], settings: Mapping[str, str] | None = None
) -> ManagedProcess:
    """Leave a live process of ours alone unless its settings changed; start it otherwise."""
    settings_file = PID_DIR / f"{name}.settings.json"
    pid = running_pid(name)
    if pid is not None:
        before = settings_file.read_text() if settings_file.is_file() else None
        if settings is None or before == json.dumps(settings):
            say(f"{name}: already running (pid {pid})")
            return _suite_process(name, pid)
        say(f"{name}: settings changed, restarting (pid {pid})")
        stop(_suite_process(name, pid))
    say(f"{name}: starting")
    proc = start()
    PID_DIR.mkdir(parents=True, exist_ok=True)
    _pid_file(name).write_text(f"{proc.pid}\n")
    if settings is not None:
        settings_file.write_text(json.dumps(settings))
    return proc


def up(infra_only: bool = False) -> None:
    if not infra_only:
        missing = [s.name for s in SERVICES if not has_main(s.name)]
        if missing:
            raise SuiteError(
                f"no runnable package for {', '.join(missing)} (no __main__ module); "
                "`up --infra-only` starts Kafka and the store alone"
            )
    install()
    started = time.monotonic()
    kafka = _ensure("kafka", lambda: start_kafka(DATA_DIR / "kafka", log_file=LOG_DIR / "kafka.log"))
    store = _ensure("store", lambda: start_store(DATA_DIR / "store", log_file=LOG_DIR / "store.log"))
    procs = [kafka, store]
    for proc in procs:
        wait_ready(proc)
        say(f"{proc.name}: ready at {proc.address}")
    if not infra_only and _local_mail():
        mail = _ensure("mail", lambda: start_mail_sink(MAIL_DIR, mail_port(), LOG_DIR / "mail.log"))
        wait_ready(mail, timeout=30.0)
        procs.append(mail)
    if not infra_only:
        env = suite_env()
        settings = service_settings({**os.environ, **env})
        env["VOUCHER_CLOCK"] = suite_clock(settings.get("VOUCHER_CLOCK"))
        services = [
            _ensure(s.name, partial(start_service, s.name, env, LOG_DIR / f"{s.name}.log"), settings)
            for s in SERVICES
        ]
        for proc in services:
            wait_ready(proc)
            say(f"{proc.name}: ready at {proc.address}")
        procs += services
        procs += _optional_prometheus()
    say(f"up in {time.monotonic() - started:.1f}s; logs in {LOG_DIR}")
    for proc in procs:
        print(f"  {proc.name:<13} {proc.address}")


def _optional_prometheus() -> list[ManagedProcess]:
    """Prometheus with deploy/prometheus/prometheus.yml when installed, so the dashboards'
    queries can be tried at http://127.0.0.1:9090; skipped (with a note) when it is not."""
    if prometheus_binary() is None:
        say("prometheus: not installed, skipped (`make install` installs Debian's package)")
        return []
    try:
        proc = _ensure("prometheus", lambda: start_prometheus(
            DATA_DIR / "prometheus", log_file=LOG_DIR / "prometheus.log"))
        wait_ready(proc, timeout=60.0)
    except SuiteError as exc:  # optional: the suite runs without it
        say(f"prometheus: not started: {exc}")
        return []
    say(f"prometheus: ready at http://127.0.0.1:{PROMETHEUS_PORT}")
    return [proc]


def _local_mail() -> bool:
    """The letters go to the local mail sink unless the settings name another mail server."""
    return os.environ.get("SMTP_HOST", "127.0.0.1") in ("127.0.0.1", "localhost")


def down(grace: float = STOP_GRACE_S) -> None:
    _stop_named("prometheus", grace)
    service_names = [s.name for s in SERVICES]
    with concurrent.futures.ThreadPoolExecutor(len(service_names)) as pool:
        list(pool.map(lambda name: _stop_named(name, grace), service_names))
    for name in ("mail", "store", "kafka"):
        _stop_named(name, grace)
    CLOCK_FILE.unlink(missing_ok=True)
    busy = [p for p in _suite_ports() if port_open("127.0.0.1", p, timeout=0.2)]
    if busy:
        say(f"warning: ports still answering (not started by suitectl): {busy}")


def _suite_ports() -> list[int]:
    return [KAFKA_PORT, KAFKA_CONTROLLER_PORT, STORE_PORT, mail_port(), *(s.port for s in SERVICES),
            PROMETHEUS_PORT]


def _stop_named(name: str, grace: float) -> None:
    pid = running_pid(name)
    if pid is not None:
        say(f"{name}: stopping (pid {pid})")
        stop(_suite_process(name, pid), grace)
    _pid_file(name).unlink(missing_ok=True)
    (PID_DIR / f"{name}.settings.json").unlink(missing_ok=True)


def clean() -> None:
    down()
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    say(f"removed {DATA_DIR}")


def status() -> bool:
    """Print each process and whether it answers; True when all that run answer."""
    healthy = True
    for name in NAMES:
        pid = running_pid(name)
        if pid is None:
            note = " (optional)" if name in OPTIONAL else ""
            print(f"  {name:<13} stopped{note}")
            continue
        proc = _suite_process(name, pid)
        answers = proc.answers()
        healthy &= answers
        state = "answers" if answers else "NOT ANSWERING"
        print(f"  {name:<13} pid {pid:<8} {state:<14} {proc.address}")
    return healthy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suitectl", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("install", "up", "down", "clean", "status", "mail-sink"))
    parser.add_argument("--port", type=int, default=MAIL_PORT, help="mail-sink: the SMTP port")
    parser.add_argument("--dir", type=Path, default=MAIL_DIR, help="mail-sink: where messages go")
    parser.add_argument(
        "--infra-only", action="store_true", help="up: start Kafka and the store, no services"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "mail-sink":
            serve_mail(args.dir, args.port)
        elif args.command == "install":
            install()
        elif args.command == "up":
            up(infra_only=args.infra_only)
        elif args.command == "down":
            down()
        elif args.command == "clean":
            clean()
        elif not status():
            return 1
    except SuiteError as exc:
        print(f"suitectl: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
