"""A batch of valid applications with fresh applicants, filed over HTTP the way a careful client
files them: each with its own Idempotency-Key, tried again on a dropped connection or a 5xx
until intake answers 202, so a crash or an outage on the server side never makes the client
give up or file twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from tests.support.filing import qr_code_of
from tests.support.samples import application_for, make_uscc
from tests.support.suite import Suite

Kind = Literal["approvable", "below-threshold", "missing-audit-consent"]
# Three of five approvable (awaiting notice), one failing eligibility, one failing verification.
MIX: tuple[Kind, ...] = ("approvable", "below-threshold", "approvable", "missing-audit-consent", "approvable")
EXPECTED_STATUS: dict[Kind, str] = {
    "approvable": "awaiting_notice",
    "below-threshold": "rejected",
    "missing-audit-consent": "rejected",
}


@dataclass(frozen=True)
class Planned:
    kind: Kind
    uscc: str
    body: dict[str, Any]

    @property
    def expected_status(self) -> str:
        return EXPECTED_STATUS[self.kind]

    @property
    def approvable(self) -> bool:
        return self.kind == "approvable"


def serials(block: int, count: int) -> range:
    """The applicant serials of batch number `block`: disjoint blocks of 10,000."""
    return range(1_000_000 + block * 10_000, 1_000_000 + block * 10_000 + count)


def plan(block: int, count: int) -> list[Planned]:
    """`count` applications of fresh applicants, the kinds of MIX in turn, audit QR codes set."""
    planned = []
    for i, serial in enumerate(serials(block, count)):
        kind = MIX[i % len(MIX)]
        uscc = make_uscc(serial)
        body = application_for(uscc, kind)
        for material in body["materials"]:
            if material["kind"] == "audit_report":
                material["qr_code"] = qr_code_of(uscc)
        planned.append(Planned(kind, uscc, body))
    return planned


def audit_reports(blocks: int, count: int) -> list[dict[str, Any]]:
    """The audit-report registry entries of every applicant of `blocks` batches of `count`."""
    return [
        {"qr_code": qr_code_of(make_uscc(s)), "uscc": make_uscc(s), "fiscal_year": 2025}
        for block in range(blocks)
        for s in serials(block, count)
    ]


@dataclass
class Filer:
    """Files planned applications from `workers` threads, each until intake accepts it."""

    suite: Suite
    workers: int = 8
    give_up_after_s: float = 240.0
    accepted: dict[str, str] = field(default_factory=dict)  # uscc -> application id
    retries: int = 0
    slowest_s: float = 0.0  # the longest single request
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # uscc, status, body
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="filer")
        self._http = httpx.Client(
            base_url=self.suite.urls["intake"],
            timeout=60.0,
            limits=httpx.Limits(max_connections=self.workers),
        )
        self._futures: list[Future[None]] = []

    def file(self, planned: Sequence[Planned], every_s: float = 0.0) -> None:
        """Queue `planned`, released one every `every_s` seconds (in this thread)."""
        for item in planned:
            self._futures.append(self._pool.submit(self._file, item))
            if every_s:
                time.sleep(every_s)

    def filed(self) -> int:
        with self._lock:
            return len(self.accepted)

    def wait(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        for future in self._futures:
            future.result(timeout=max(deadline - time.monotonic(), 1.0))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    def _file(self, item: Planned) -> None:
        headers = {
            "Authorization": f"Bearer {self.suite.tokens.issue('submitter', item.uscc)}",
            "Idempotency-Key": f"fault-test-{item.uscc}",
        }
        deadline = time.monotonic() + self.give_up_after_s
        while True:
            began = time.monotonic()
            try:
                response = self._http.post("/v1/applications", json=item.body, headers=headers)
            except httpx.TransportError:
                response = None
            with self._lock:
                self.slowest_s = max(self.slowest_s, time.monotonic() - began)
            if response is not None and response.status_code == 202:
                with self._lock:
                    self.accepted[item.uscc] = str(response.json()["application_id"])
                return
            if response is not None and response.status_code < 500 and response.status_code != 429:
                with self._lock:
                    self.refused.append((item.uscc, response.status_code, response.text[:500]))
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"intake did not accept {item.uscc} within {self.give_up_after_s}s")
            with self._lock:
                self.retries += 1
            time.sleep(0.5)
