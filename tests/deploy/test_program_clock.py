"""What starts the services gives them one program clock: suitectl `up` and the test suite anchor a
plain VOUCHER_CLOCK once and hand every service the same anchored setting (no process started)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import suitectl
from vouchers_shared.clock import ProgramClock

from tests.support.infra import Infra
from tests.support.suite import SERVICE_NAMES, Suite, run_suite

PLAIN = "2026-05-20T10:00:00+08:00"


@pytest.fixture
def running(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> set[str]:
    """suitectl on a scratch .run/pids, with the services named in the set "running"."""
    alive: set[str] = set()
    monkeypatch.setattr(suitectl, "PID_DIR", tmp_path)
    monkeypatch.setattr(suitectl, "CLOCK_FILE", tmp_path / "clock")
    monkeypatch.setattr(suitectl, "running_pid", lambda name: 4242 if name in alive else None)
    return alive


def test_up_anchors_a_plain_instant_for_all_services_and_keeps_it_while_they_run(running: set[str]) -> None:
    first = suitectl.suite_clock(PLAIN)
    assert first.startswith(f"{PLAIN}@")
    running.add("notification")  # the others died: `up` starts them on the same clock
    time.sleep(0.01)
    assert suitectl.suite_clock(PLAIN) == first
    later = suitectl.suite_clock("2026-06-10T10:00:00+08:00")  # a new instant: all restart on it
    assert later.startswith("2026-06-10T10:00:00+08:00@")
    running.clear()
    time.sleep(0.01)
    assert suitectl.suite_clock("2026-06-10T10:00:00+08:00") != later  # nothing runs: time starts afresh
    assert suitectl.suite_clock(None) == ""
    assert suitectl.suite_clock(f"{PLAIN}@2026-12-03T07:50:00Z") == f"{PLAIN}@2026-12-03T07:50:00Z"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Suite, list[dict[str, str]]]]:
    """The test suite fixture with the processes left out: each start is recorded, a while apart."""
    envs: list[dict[str, str]] = []

    def start_service(name: str, env: dict[str, str], log_file: Path) -> Any:
        time.sleep(0.05)  # a service takes a while to start
        envs.append({"name": name, **env})
        return suitectl.ManagedProcess(name, 0, log_file, "", lambda: True)

    monkeypatch.setattr(suitectl, "start_service", start_service)
    monkeypatch.setattr(suitectl, "wait_ready", lambda proc, timeout=0.0: None)
    monkeypatch.setattr(suitectl, "stop", lambda proc, grace=0.0: None)
    with run_suite(Infra("127.0.0.1:1", "mongodb://127.0.0.1:1", "env"), tmp_path, PLAIN) as suite:
        yield suite, envs


def clocks(envs: list[dict[str, str]]) -> dict[str, str]:
    return {e["name"]: e["VOUCHER_CLOCK"] for e in envs}


def test_the_test_suite_starts_every_service_on_one_anchored_clock(
    started: tuple[Suite, list[dict[str, str]]],
) -> None:
    suite, envs = started
    (setting,) = set(clocks(envs).values())
    assert set(clocks(envs)) == set(SERVICE_NAMES)
    assert setting.startswith(f"{PLAIN}@")
    assert abs(suite.program_now("intake") - ProgramClock.from_setting(setting).now()).total_seconds() < 1


def test_a_restart_keeps_the_clock_and_a_new_clock_is_anchored_once_for_all_it_restarts(
    started: tuple[Suite, list[dict[str, str]]],
) -> None:
    suite, envs = started
    first = envs[0]["VOUCHER_CLOCK"]
    envs.clear()
    suite.restart({"CHECK_TIMEOUT_S": "10"}, on=("notification",))
    assert clocks(envs) == {"notification": first}
    envs.clear()
    suite.restart(on=("intake", "notification"), clock="2026-12-30T10:00:00+08:00")
    (later,) = set(clocks(envs).values())
    assert set(clocks(envs)) == {"intake", "notification"}
    assert later.startswith("2026-12-30T10:00:00+08:00@")
    envs.clear()
    suite.restore()
    assert clocks(envs) == {"intake": first, "notification": first}
