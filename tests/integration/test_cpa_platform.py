"""Verification against a CPA platform over HTTP that answers, denies, or never answers in time (issue 6).

The suite here has its own Kafka and store: its services use the same consumer groups and
databases as the session suite's, and must not share partitions or documents with them.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import suitectl
from vouchers_shared import topics

from tests.support.events import records_about
from tests.support.filing import application, file, findings_of, wait_check, wait_view
from tests.support.infra import Infra, docker_available, docker_infra, local_infra
from tests.support.refdata_loading import load_sample_refdata
from tests.support.samples import make_uscc
from tests.support.suite import Suite, run_suite

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

CLOCK = "2026-05-20T10:00:00+08:00"
TOKEN = "test-platform-token"
MAX_ATTEMPTS = 3  # rounds of asking before review
REQUESTS_PER_ROUND = 2  # the adapter's own retries inside one round
PLATFORM_ENV = {
    "CPA_PLATFORM_TOKEN": TOKEN,
    "CPA_PLATFORM_TIMEOUT_S": "0.5",
    "CPA_PLATFORM_ATTEMPTS": str(REQUESTS_PER_ROUND),
    "QR_RETRY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    "QR_RETRY_BASE_DELAY_S": "2",
    "QR_RETRY_CAP_S": "4",
    "QR_RETRY_POLL_S": "0.3",
    # The platform is on loopback: a proxy named in the environment must not be asked instead.
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
SLOW, MISSING, REGISTERED = (make_uscc(6_100_000 + n) for n in range(1, 4))


class Platform:
    """A stand-in CPA platform: codes starting SLOW never answer in time, MISSING are 404."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.tokens: set[str] = set()
        self.released = threading.Event()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        code = unquote(handler.path.removeprefix("/v1/qr/"))
        self.asked[code] += 1
        self.tokens.add(handler.headers.get("Authorization", ""))
        if code.startswith("SLOW-"):
            self.released.wait(timeout=30)
            return  # the client gave up long ago; close without a word
        if code.startswith("MISSING-"):
            handler.send_response(404)
            handler.end_headers()
            return
        uscc = code.removeprefix("OK-")
        body = json.dumps({"registered": True, "uscc": uscc, "fiscal_year": 2025}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@contextmanager
def serve(platform: Platform) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            platform.answer(self)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        platform.released.set()
        server.shutdown()
        server.server_close()


@contextmanager
def own_infra() -> Iterator[Infra]:
    if docker_available():
        with docker_infra() as infra:
            yield infra
    else:
        with local_infra() as infra:
            yield infra


@pytest.fixture(scope="module")
def platform() -> Platform:
    return Platform()


@pytest.fixture(scope="module")
def platform_suite(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    suitectl.install()
    workdir: Path = tmp_path_factory.mktemp("platform-suite")
    with (
        own_infra() as infra,
        serve(platform) as url,
        run_suite(infra, workdir, CLOCK, {**PLATFORM_ENV, "CPA_PLATFORM_URL": url}) as running,
    ):
        load_sample_refdata(running)
        yield running


def verification_outcomes(suite: Suite, application_id: str) -> list[str]:
    return [
        r.body()["outcome"]
        for r in records_about(suite.infra.kafka_bootstrap, topics.VERIFICATION, application_id)
    ]


def test_a_platform_that_times_out_gives_pending_then_review_never_verified(
    platform_suite: Suite, platform: Platform
) -> None:
    app_id = file(platform_suite, application(SLOW, qr_code=f"SLOW-{SLOW}"))

    # Before any verdict the view shows `pending` with no findings; the first verdict has them.
    first = wait_view(
        platform_suite,
        app_id,
        "a first verification verdict",
        lambda v: bool(v["checks"]["verification"]["findings"]),
        timeout=60,
    )
    assert first["checks"]["verification"]["outcome"] == "pending"
    (qr,) = findings_of(first, "verification", "MAT-AUDIT-QR")
    assert qr["result"] == "pending"
    later = wait_view(
        platform_suite,
        app_id,
        "verification review",
        lambda v: v["checks"]["verification"]["outcome"] != "pending",
        timeout=60,
    )

    assert later["checks"]["verification"]["outcome"] == "review"
    (qr,) = findings_of(later, "verification", "MAT-AUDIT-QR")
    assert qr["result"] == "review"
    assert verification_outcomes(platform_suite, app_id) == ["pending", "review"]
    assert platform.tokens == {f"Bearer {TOKEN}"}
    # The case waits for the check and then goes to an operator, not to the notice.
    decided = wait_view(
        platform_suite, app_id, "the case decision", lambda v: v["status"] != "checking", timeout=60
    )
    assert decided["status"] == "needs_review"
    assert decided["checks"]["eligibility"]["outcome"] == "pass"
    # Every round asked the platform, each with the adapter's own retry, and then no more.
    assert platform.asked[f"SLOW-{SLOW}"] == MAX_ATTEMPTS * REQUESTS_PER_ROUND


def test_a_qr_code_the_platform_does_not_know_fails_and_a_known_one_passes(
    platform_suite: Suite, platform: Platform
) -> None:
    missing = file(platform_suite, application(MISSING, qr_code=f"MISSING-{MISSING}"))
    known = file(platform_suite, application(REGISTERED, qr_code=f"OK-{REGISTERED}"))

    missing_view = wait_check(platform_suite, missing, "verification", timeout=60)
    known_view = wait_check(platform_suite, known, "verification", timeout=60)

    assert missing_view["checks"]["verification"]["outcome"] == "failed"
    (qr,) = findings_of(missing_view, "verification", "MAT-AUDIT-QR")
    assert qr["result"] == "fail"
    assert known_view["checks"]["verification"]["outcome"] == "verified"
    assert platform.asked[f"MISSING-{MISSING}"] == 1
    assert platform.asked[f"OK-{REGISTERED}"] == 1
    decided = wait_view(
        platform_suite, missing, "the case decision", lambda v: v["status"] != "checking", timeout=60
    )
    assert decided["status"] == "rejected"
