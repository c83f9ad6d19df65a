"""Our FerretDB build runs Go code on one thread per four cores, one on two cores, unless
GOMAXPROCS says otherwise: the store shares the machine's cores with Kafka and every service, and
Go's scheduler spent their CPU waking idle threads to look for work (deploy/local/ferretdb/main.go)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import suitectl

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def started_with(tmp_path: Path, name: str) -> int:
    """The GOMAXPROCS a store started now reports once it answers."""
    (port,) = suitectl.free_ports(1)
    log = tmp_path / f"{name}.log"
    proc = suitectl.start_store(tmp_path / name, port, log)
    try:
        suitectl.wait_ready(proc, timeout=60)
    finally:
        suitectl.stop(proc, 15.0)
    found = re.search(r'msg="ferretdb listening".* gomaxprocs=(\d+)', log.read_text())
    assert found is not None, log.read_text()
    return int(found.group(1))


def test_the_store_runs_go_on_a_quarter_of_the_cores_unless_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_STORE", "ferretdb")  # this build, whichever store the suite runs on
    suitectl.install_ferretdb()
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    cores = len(os.sched_getaffinity(0))  # what Go counts as the machine's cores
    assert started_with(tmp_path, "default") == max(1, cores // 4)
    monkeypatch.setenv("GOMAXPROCS", "3")
    assert started_with(tmp_path, "asked") == 3
