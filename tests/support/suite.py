"""The whole suite as real processes on free ports, against the test Kafka and store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import suitectl
from aiosmtpd.controller import Controller
from pymongo import MongoClient
from vouchers_shared.auth import TokenService
from vouchers_shared.settings import LOCAL_PLACEHOLDER_KEY

from tests.support.infra import Infra


class MailSink:
    """An SMTP server on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class Suite:
    infra: Infra
    urls: dict[str, str]
    mail: MailSink
    logs: Path
    tokens: TokenService = field(default_factory=lambda: TokenService(LOCAL_PLACEHOLDER_KEY))

    def client(self, service: str, role: str = "operator", uscc: str | None = None) -> httpx.Client:
        token = self.tokens.issue(role, uscc)  # type: ignore[arg-type]
        return httpx.Client(base_url=self.urls[service], timeout=10.0,
                            headers={"Authorization": f"Bearer {token}"})

    def store(self) -> MongoClient[dict[str, Any]]:
        return MongoClient(self.infra.mongodb_url, tz_aware=True)


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
def run_suite(infra: Infra, workdir: Path, clock: str, extra_env: dict[str, str] | None = None
              ) -> Iterator[Suite]:
    mail = MailSink()
    smtp_port, *ports = suitectl.free_ports(5)
    controller = Controller(mail, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    names = ("intake", "eligibility", "verification", "notification")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap, "MONGODB_URL": infra.mongodb_url,
        "VOUCHER_CLOCK": clock, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
        "SWEEP_INTERVAL_S": "0.5", "OUTBOX_RELAY_INTERVAL_S": "0.5",
        **{f"{n.upper()}_HTTP_PORT": str(p) for n, p in zip(names, ports, strict=True)},
        **(extra_env or {}),
    }
    with ExitStack() as stack:
        stack.callback(controller.stop)
        procs = []
        for name in names:
            proc = suitectl.start_service(name, env, workdir / f"{name}.log")
            stack.callback(suitectl.stop, proc, 15.0)
            procs.append(proc)
        for proc in procs:
            suitectl.wait_ready(proc, timeout=120.0)
        urls = {n: f"http://127.0.0.1:{p}" for n, p in zip(names, ports, strict=True)}
        yield Suite(infra, urls, mail, workdir)
