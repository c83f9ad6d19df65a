"""`make compose-demo`: the demo's steps on `docker compose`, where a Docker engine answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from vouchers_shared import signing_key

REPO = Path(__file__).resolve().parents[2]


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


def make(target: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_the_compose_demo_refuses_to_start_without_a_key_of_the_installations_own() -> None:
    env = {k: v for k, v in os.environ.items() if k != "VOUCHERS_TOKEN_KEY"}
    done = make("compose-demo", env, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "openssl rand -base64 48" in done.stderr
    assert "docker compose up" not in done.stdout


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(
    not docker_answers(),
    reason="no Docker engine answers on this machine; the compose demo runs where one does",
)
def test_the_compose_demo_files_the_samples_and_approves_the_approvable_ones() -> None:
    env = {**os.environ, "VOUCHERS_TOKEN_KEY": signing_key.generate()}
    try:
        done = make("compose-demo", env, timeout=1500)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        table = done.stdout[done.stdout.index("== outcomes") :]
        for sample, status in (
            ("approvable", "approved"),
            ("yearly-cap", "approved"),
            ("below-threshold", "rejected"),
            ("related-provider", "rejected"),
        ):
            (row,) = [line for line in table.splitlines() if line.strip().startswith(sample)]
            assert f" {status} " in row, row
    finally:
        subprocess.run(
            ["docker", "compose", "down", "-v"],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
