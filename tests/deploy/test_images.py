"""Each service's Dockerfile: two stages, a non-root numeric user, a health check on its port."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import REPO, SERVICES

PORTS = {"intake": 8080, "eligibility": 8081, "verification": 8082, "notification": 8083}


def dockerfile(name: str) -> str:
    return (REPO / "services" / name / "Dockerfile").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SERVICES)
def test_image_runs_as_a_numeric_non_root_user(name: str) -> None:
    users = re.findall(r"^USER\s+(\S+)", dockerfile(name), re.MULTILINE)
    assert users, "no USER instruction: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0


@pytest.mark.parametrize("name", SERVICES)
def test_image_checks_its_own_readiness_endpoint(name: str) -> None:
    text = dockerfile(name)
    assert re.search(r"^HEALTHCHECK ", text, re.MULTILINE)
    assert f"127.0.0.1:{PORTS[name]}/health/ready" in text
    assert re.search(rf"^EXPOSE {PORTS[name]}$", text, re.MULTILINE)


@pytest.mark.parametrize("name", SERVICES)
def test_image_installs_only_its_own_package_in_a_build_stage(name: str) -> None:
    text = dockerfile(name)
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2
    for option in (f"--package vouchers-{name}", "--no-dev", "--frozen", "--no-editable"):
        assert option in text
    assert re.search(rf'^CMD \["python", "-m", "{name}"\]$', text, re.MULTILINE)


def test_build_context_leaves_out_environments_and_run_data() -> None:
    ignored = set((REPO / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", ".run", "deploy/local/kafka/libs"} <= ignored
