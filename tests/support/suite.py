"""The whole suite as real processes on free ports, against the test Kafka and store."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import suitectl
from aiosmtpd.controller import Controller
from pymongo import MongoClient
from vouchers_shared.auth import TokenService
from vouchers_shared.clock import ProgramClock, anchored

from tests.support.infra import Infra
from tests.support.keys import TOKEN_KEY


class MailSink:
    """An SMTP server on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


SERVICE_NAMES = ("intake", "eligibility", "verification", "notification")


@dataclass
class Suite:
    infra: Infra
    urls: dict[str, str]
    mail: MailSink
    logs: Path
    tokens: TokenService  # signs with the key the services were given
    env: dict[str, str] = field(default_factory=dict)  # the settings the suite was started with
    procs: dict[str, suitectl.ManagedProcess] = field(default_factory=dict)
    running_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # Each service's program clock: its VOUCHER_CLOCK, anchored to the wall clock (one setting
    # for all the services started together, so they read the same program time).
    clocks: dict[str, str] = field(default_factory=dict)
    first_clock: str | None = None  # the clock the suite was started on

    def client(self, service: str, role: str = "operator", uscc: str | None = None) -> httpx.Client:
        token = self.tokens.issue(role, uscc)  # type: ignore[arg-type]
        return httpx.Client(
            base_url=self.urls[service], timeout=10.0, headers={"Authorization": f"Bearer {token}"}
        )

    def store(self) -> MongoClient[dict[str, Any]]:
        return MongoClient(self.infra.mongodb_url, tz_aware=True)

    def program_now(self, service: str = "intake") -> datetime:
        """A service's program time, as the service itself reads it."""
        return ProgramClock.from_setting(self.clocks.get(service) or self.first_clock).now()

    def restart(
        self,
        overrides: Mapping[str, str] | None = None,
        *,
        on: Collection[str] = SERVICE_NAMES,
        stopped: Collection[str] = (),
        clock: str | None = None,
    ) -> None:
        """Run the services on the suite's settings, those named in `on` with `overrides` and on
        the program clock `clock` too, and those in `stopped` not at all.

        Same ports, same mail sink. A service restarts only when its settings or its clock
        change; a service restarted without a new clock goes on from the program time it had
        reached.
        """
        wanted = {
            name: {**self.env, **(overrides or {} if name in on else {})}
            for name in SERVICE_NAMES
            if name not in stopped
        }
        resolved = anchored(clock)  # once, for every service restarted on it
        self._apply(wanted, {name: resolved for name in on if resolved is not None})

    def restore(self) -> None:
        """Every service on the suite's own settings and on the time its first clock has reached."""
        assert self.first_clock is not None
        off = {name for name, started in self.clocks.items() if started != self.first_clock}
        self._apply(
            {name: dict(self.env) for name in SERVICE_NAMES}, {name: self.first_clock for name in off}
        )

    def _apply(self, wanted: Mapping[str, dict[str, str]], clocks: Mapping[str, str]) -> None:
        def changes(name: str) -> bool:
            if name not in wanted:
                return name in self.procs
            running = self.running_env.get(name)
            return name in clocks or _without_clock(wanted[name]) != _without_clock(running)

        changed = [n for n in SERVICE_NAMES if changes(n)]
        with ThreadPoolExecutor(len(SERVICE_NAMES)) as pool:
            list(
                pool.map(
                    lambda n: suitectl.stop(self.procs.pop(n), 15.0), [n for n in changed if n in self.procs]
                )
            )
        for name in changed:
            self.running_env.pop(name, None)
        self.clocks.update(clocks)
        self._start(
            {
                n: {**wanted[n], "VOUCHER_CLOCK": self.clocks.get(n) or self.first_clock or ""}
                for n in changed
                if n in wanted
            }
        )

    def _start(self, envs: Mapping[str, dict[str, str]]) -> None:
        for name, env in envs.items():
            self.procs[name] = suitectl.start_service(name, env, self.logs / f"{name}.log")
            self.running_env[name] = env
        for name in envs:
            suitectl.wait_ready(self.procs[name], timeout=120.0)

    def stop_all(self) -> None:
        with ThreadPoolExecutor(len(SERVICE_NAMES)) as pool:
            list(pool.map(lambda p: suitectl.stop(p, 15.0), list(self.procs.values())))
        self.procs.clear()
        self.running_env.clear()


def _without_clock(env: Mapping[str, str] | None) -> dict[str, str] | None:
    return None if env is None else {k: v for k, v in env.items() if k != "VOUCHER_CLOCK"}


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 60.0, every: float = 0.25) -> Any:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def run_suite(
    infra: Infra, workdir: Path, clock: str, extra_env: dict[str, str] | None = None
) -> Iterator[Suite]:
    mail = MailSink()
    smtp_port, *ports = suitectl.free_ports(5)
    controller = Controller(mail, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    started = anchored(clock) or ""  # one program clock for all the services
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "MONGODB_URL": infra.mongodb_url,
        "VOUCHER_CLOCK": started,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SWEEP_INTERVAL_S": "0.5",
        "OUTBOX_RELAY_INTERVAL_S": "0.5",
        "VOUCHERS_TOKEN_KEY": TOKEN_KEY,
        "VOUCHERS_LOCAL_MODE": "true",  # as `make up` runs it
        **{f"{n.upper()}_HTTP_PORT": str(p) for n, p in zip(SERVICE_NAMES, ports, strict=True)},
        **(extra_env or {}),
    }
    urls = {n: f"http://127.0.0.1:{p}" for n, p in zip(SERVICE_NAMES, ports, strict=True)}
    suite = Suite(
        infra,
        urls,
        mail,
        workdir,
        TokenService(env["VOUCHERS_TOKEN_KEY"]),
        env=env,
        clocks=dict.fromkeys(SERVICE_NAMES, started),
        first_clock=started,
    )
    with ExitStack() as stack:
        stack.callback(controller.stop)
        stack.callback(suite.stop_all)
        suite._start({name: env for name in SERVICE_NAMES})
        yield suite
