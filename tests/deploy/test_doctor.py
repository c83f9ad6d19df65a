"""The prerequisites check (deploy/local/doctor.sh, `make doctor`) on a PATH of stand-ins: each
tool missing or too old is named with the version wanted, and the check fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.machine import REPO, FakeMachine

DOCTOR = str(REPO / "deploy" / "local" / "doctor.sh")
GO_WANTED = re.findall(r"^go (\S+)$", (REPO / "deploy/local/ferretdb/go.mod").read_text(), re.M)[0]


def python(version: str, venv: bool = True) -> str:
    return f'echo {version}; case "$*" in *ensurepip*) exit {0 if venv else 1};; esac'


def java(version: str) -> str:
    return f"echo 'openjdk version \"{version}\" 2025-04-15' >&2"


def maven(version: str) -> str:
    return f"printf '\\033[1mApache Maven {version} (b89d5959fcde851dcb1c8946a785a163f14e1e29)\\033[m\\n'"


def go(version: str) -> str:
    return f"echo 'go version go{version} linux/amd64'"


COMPLETE = {
    "python3": python("3.11.7"),
    "java": java("17.0.15"),
    "mvn": maven("3.8.7"),
    "go": go(f"{GO_WANTED}.8"),
    "node": "echo v20.20.2",
    "npm": "echo 10.8.2",
    "promtool": "exit 0",
    "chromium": "exit 0",
    "fc-list": "echo 'WenQuanYi Micro Hei:lang=zh'",
    "apt-get": "exit 0",
}


@pytest.fixture
def machine(tmp_path: Path) -> FakeMachine:
    """A machine with every prerequisite, not root, with sudo."""
    made = FakeMachine(tmp_path, uid=1000)
    for name, body in COMPLETE.items():
        made.tool(name, body)
    made.sudo()
    return made


def doctor(machine: FakeMachine, *args: str) -> tuple[int, str, str]:
    done = machine.run("/bin/bash", DOCTOR, *args)
    return done.returncode, done.stdout, done.stderr


def test_a_complete_machine_passes_and_each_prerequisite_is_listed_with_its_version(
    machine: FakeMachine,
) -> None:
    code, out, err = doctor(machine)
    assert (code, err) == (0, "")
    for line in (
        "Python 3.11 or later (python3): 3.11.7",
        "JDK 17 or later (java): 17.0.15",
        "Maven 3.6.3 or later (mvn): 3.8.7",
        f"Go {GO_WANTED} or later (go): {GO_WANTED}.8",
        "Node.js 18 or later (node): 20.20.2",
        "npm 6 or later (npm): 10.8.2",
    ):
        assert line in out


@pytest.mark.parametrize(
    ("tool", "named"),
    [
        ("python3", "Python 3.11 or later (python3)"),
        ("java", "JDK 17 or later (java)"),
        ("mvn", "Maven 3.6.3 or later (mvn)"),
        ("go", f"Go {GO_WANTED} or later (go)"),
        ("node", "Node.js 18 or later (node)"),
        ("npm", "npm 6 or later (npm)"),
    ],
)
def test_each_missing_tool_is_named_with_the_version_wanted(
    machine: FakeMachine, tool: str, named: str
) -> None:
    machine.remove(tool)
    code, _, err = doctor(machine)
    assert code == 1
    assert f"missing   {named}: not found" in err
    assert "1 prerequisite(s) of make test missing or too old" in err


@pytest.mark.parametrize(
    ("tool", "body", "named"),
    [
        ("python3", python("3.10.12"), "Python 3.11 or later (python3): found 3.10.12"),
        ("java", java("11.0.22"), "JDK 17 or later (java): found 11.0.22"),
        ("java", java("1.8.0_402"), "JDK 17 or later (java): found 1.8.0"),
        ("mvn", maven("3.6.0"), "Maven 3.6.3 or later (mvn): found 3.6.0"),
        ("node", "echo v16.20.2", "Node.js 18 or later (node): found 16.20.2"),
    ],
)
def test_each_tool_too_old_is_named_with_the_version_found_and_wanted(
    machine: FakeMachine, tool: str, body: str, named: str
) -> None:
    machine.tool(tool, body)
    code, _, err = doctor(machine)
    assert code == 1
    assert f"too old   {named}" in err


def test_the_go_wanted_is_the_one_go_mod_names(tmp_path: Path) -> None:
    major, minor = GO_WANTED.split(".")[:2]
    older, newer = f"{major}.{int(minor) - 1}.9", f"{major}.{int(minor) + 1}.0"
    for version, code in ((older, 1), (GO_WANTED, 0), (newer, 0)):
        machine = FakeMachine(tmp_path / version)
        for name, body in {**COMPLETE, "go": go(version)}.items():
            machine.tool(name, body)
        assert doctor(machine, "install")[0] == code, version


def test_a_python_without_venv_is_named(machine: FakeMachine) -> None:
    machine.tool("python3", python("3.11.7", venv=False))
    code, _, err = doctor(machine)
    assert code == 1
    assert "the venv module of python3: not found; Debian and Ubuntu: apt-get install python3-venv" in err


def test_every_problem_is_named_at_once(machine: FakeMachine) -> None:
    for tool in ("java", "mvn", "go"):
        machine.remove(tool)
    code, _, err = doctor(machine)
    assert code == 1
    assert "3 prerequisite(s)" in err
    assert all(f"({tool})" in err for tool in ("java", "mvn", "go"))


def test_install_does_not_ask_for_what_only_the_tests_need(machine: FakeMachine) -> None:
    for tool in ("node", "npm", "chromium", "fc-list"):
        machine.remove(tool)
    assert doctor(machine, "--quiet", "install") == (0, "", "")
    assert doctor(machine, "--quiet", "test")[0] == 1


def test_a_package_to_install_needs_apt_get_and_root_or_sudo(machine: FakeMachine) -> None:
    machine.remove("promtool")
    assert doctor(machine, "--quiet", "install")[0] == 0  # sudo is there
    machine.remove("sudo")
    code, _, err = doctor(machine, "--quiet", "install")
    assert code == 1
    assert "root or sudo: neither; apt-get needs one to install prometheus" in err
    machine.remove("apt-get")
    assert "Debian or Ubuntu (apt-get): not found; it installs prometheus" in doctor(machine, "install")[2]


def test_root_needs_no_sudo(tmp_path: Path) -> None:
    machine = FakeMachine(tmp_path, uid=0)
    for name, body in COMPLETE.items():
        if name not in ("promtool", "chromium"):
            machine.tool(name, body)
    code, out, _ = doctor(machine)
    assert code == 0
    assert "prometheus chromium fonts-wqy-microhei to install with apt-get" in out


def test_make_install_and_make_test_check_first() -> None:
    checks = {"install": "install", "demo": "install", "test": "test", "test-deps": "test"}
    for target, mode in checks.items():
        done = FakeMachine.dry_run(target)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == f"/bin/bash deploy/local/doctor.sh --quiet {mode}", target


def test_the_readme_names_the_versions_the_check_wants() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Prerequisites", 1)[1].split("\n## ", 1)[0]
    for row in (
        "| JDK (`java`) | 17 or later",
        "| Maven (`mvn`) | 3.6.3 or later",
        f"| Go (`go`) | {GO_WANTED} or later",
        "| Python (`python3`) | 3.11 or later",
        "| Node.js (`node`, `npm`) | 18 or later",
    ):
        assert row in section
