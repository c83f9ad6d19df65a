"""What `make` installs with apt, tried on a PATH of stand-ins: through sudo when not root,
directly as root, and nothing when the tool is already there."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.deploy.machine import REPO, FakeMachine

# target: (the packages apt-get is asked for, what they put on PATH)
APT_TARGETS = {
    "prometheus": ("prometheus", {"promtool": "exit 0"}),
    "browser": ("chromium fonts-wqy-microhei", {"chromium": "exit 0", "fc-list": "echo WenQuanYi:lang=zh"}),
}


def apt_installs(machine: FakeMachine) -> list[str]:
    return [c for c in machine.calls if c.startswith("apt-get") and " install " in c]


@pytest.mark.parametrize("target", sorted(APT_TARGETS))
def test_a_user_who_is_not_root_installs_through_sudo(tmp_path: Path, target: str) -> None:
    packages, provides = APT_TARGETS[target]
    machine = FakeMachine(tmp_path, uid=1000)
    machine.sudo()
    machine.apt(provides)
    done = machine.make(target)
    assert done.returncode == 0, done.stdout + done.stderr
    [install] = apt_installs(machine)
    assert install.startswith("apt-get (sudo) ")
    assert install.endswith(packages)
    assert any(c.startswith("apt-get (sudo) ") and c.endswith(" update -qq") for c in machine.calls)


@pytest.mark.parametrize("target", sorted(APT_TARGETS))
def test_root_installs_without_sudo(tmp_path: Path, target: str) -> None:
    packages, provides = APT_TARGETS[target]
    machine = FakeMachine(tmp_path, uid=0)
    machine.apt(provides)
    done = machine.make(target)
    assert done.returncode == 0, done.stdout + done.stderr
    [install] = apt_installs(machine)
    assert install.startswith("apt-get -o ")
    assert install.endswith(packages)


@pytest.mark.parametrize("target", sorted(APT_TARGETS))
def test_nothing_is_installed_when_the_tools_are_there(tmp_path: Path, target: str) -> None:
    _, provides = APT_TARGETS[target]
    machine = FakeMachine(tmp_path, uid=1000)
    for name, body in provides.items():
        machine.tool(name, body)
    machine.sudo()
    machine.apt({})
    done = machine.make(target)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not any(c.startswith(("apt-get", "sudo")) for c in machine.calls)


def planned(target: str) -> str:
    """Every command `make target` would run, whatever is installed already (make -n -B)."""
    done = FakeMachine.dry_run(target)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_demo_installs_what_the_suite_runs_on_and_no_test_tools() -> None:
    for target in ("demo", "up", "install"):
        commands = planned(target)
        assert "suitectl.py install" in commands
        assert "prometheus" in commands
        assert "chromium" not in commands, target
        assert "npm ci" not in commands, target


def test_the_tests_install_everything_they_need() -> None:
    commands = planned("test")
    for needed in ("uv sync", "suitectl.py install", "prometheus", "chromium fonts-wqy-microhei", "npm ci"):
        assert needed in commands, needed


SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "tests").is_dir())


def pytest_run(target: str) -> list[str]:
    [command] = [line for line in planned(target).splitlines() if ".venv/bin/pytest" in line]
    return shlex.split(command)


def test_the_fast_tier_runs_every_services_tests_and_the_shared_ones_with_nothing_to_connect_to() -> None:
    argv = pytest_run("test-fast")
    wanted = {"shared/tests", *(f"services/{s}/tests" for s in SERVICES)}
    assert {a for a in argv if a.endswith("/tests")} == wanted
    assert "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9" in argv
    assert "MONGODB_URL=mongodb://127.0.0.1:9/" in argv
    assert not [a for a in argv if a.startswith("tests")]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_fast_target_of_its_own(service: str) -> None:
    assert [a for a in pytest_run(f"test-{service}") if a.endswith("/tests")] == [f"services/{service}/tests"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_tests_its_subscribers_through_the_broker_in_memory(service: str) -> None:
    tests = (REPO / "services" / service / "tests").glob("test_*.py")
    assert any("running_in_memory(" in t.read_text(encoding="utf-8") for t in tests)
