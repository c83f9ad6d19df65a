"""docker-compose.yml: valid against the Compose Specification, and the suite it describes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from vouchers_shared import signing_key
from vouchers_shared.settings import CommonSettings

from tests.deploy.conftest import REPO, SERVICES

COMPOSE = REPO / "docker-compose.yml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
PORTS = {"intake": 8080, "eligibility": 8081, "verification": 8082, "notification": 8083}


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    done = check(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_refuses_a_compose_file_that_breaks_the_specification(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  intake:\n    image: x\n    ports: 8080\n    restart_policy: always\n")
    assert check(broken).returncode != 0


def test_every_service_is_built_from_its_own_dockerfile(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        build = compose["services"][name]["build"]
        assert build["dockerfile"] == f"services/{name}/Dockerfile"
        assert (REPO / build.get("context", ".") / build["dockerfile"]).is_file()


def test_services_wait_for_healthy_kafka_and_store(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        depends = compose["services"][name]["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["mongo"]["condition"] == "service_healthy"
    assert "healthcheck" in compose["services"]["kafka"]
    assert "healthcheck" in compose["services"]["mongo"]


def interpolated(value: str, env: dict[str, str]) -> str:
    """`value` with the Compose Specification's `${VAR}`, `${VAR:-default}` and `${VAR:?error}`
    replaced from `env`; raises ValueError with the error text where compose stops."""

    def one(match: re.Match[str]) -> str:
        name, how, other = match.group(1), match.group(2), match.group(3)
        given = env.get(name, "")
        if how == ":?" and not given:
            raise ValueError(other)
        return given or (other if how == ":-" else "")

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


def published(compose: dict[str, Any]) -> dict[str, list[str]]:
    return {name: service["ports"] for name, service in compose["services"].items() if "ports" in service}


def test_services_publish_their_documented_ports(compose: dict[str, Any]) -> None:
    env = {"VOUCHERS_TOKEN_KEY": signing_key.generate()}
    for name, port in PORTS.items():
        ports = [interpolated(p, env) for p in compose["services"][name]["ports"]]
        assert f"127.0.0.1:{port}:{port}" in ports


def test_every_published_port_answers_on_loopback_unless_told_otherwise(compose: dict[str, Any]) -> None:
    ports = published(compose)
    assert set(PORTS) <= set(ports)
    for name, mappings in ports.items():
        for mapping in mappings:
            assert mapping.startswith("${VOUCHERS_BIND:-127.0.0.1}:"), (name, mapping)
            assert interpolated(mapping, {}).startswith("127.0.0.1:"), (name, mapping)
            assert interpolated(mapping, {"VOUCHERS_BIND": "10.0.0.5"}).startswith("10.0.0.5:")


def test_the_services_do_not_start_without_a_token_key_of_their_own(compose: dict[str, Any]) -> None:
    setting = "VOUCHERS_TOKEN_KEY"
    assert setting.lower() in CommonSettings.model_fields  # the name the services read
    for name in SERVICES:
        environment = compose["services"][name]["environment"]
        value = environment[setting]
        assert re.fullmatch(r"\$\{VOUCHERS_TOKEN_KEY:\?[^}]+\}", value), (name, value)
        with pytest.raises(ValueError, match="VOUCHERS_TOKEN_KEY"):
            interpolated(value, {})
        key = signing_key.generate()
        assert interpolated(value, {setting: key}) == key


def test_no_service_in_compose_is_given_a_key_or_local_mode(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        environment = compose["services"][name]["environment"]
        assert "VOUCHERS_LOCAL_MODE" not in environment  # off: no token endpoint
        assert all("${" in str(v) or "KEY" not in k for k, v in environment.items()), name


def test_the_interpolation_here_follows_compose() -> None:
    assert interpolated("${A:-x}:${B}", {"B": "b"}) == "x:b"
    assert interpolated("${A:-x}", {"A": "a"}) == "a"
    with pytest.raises(ValueError, match="needed"):
        interpolated("${A:?needed}", {"A": ""})


def test_stop_grace_outlasts_request_and_message_draining(compose: dict[str, Any]) -> None:
    graceful = CommonSettings().graceful_timeout_s
    for name in SERVICES:
        grace = compose["services"][name]["stop_grace_period"]
        assert grace.endswith("s")
        assert float(grace[:-1]) > 2 * graceful, name  # uvicorn's drain, then the broker's


def test_kafka_creates_twelve_partitions_by_default(compose: dict[str, Any]) -> None:
    environment = compose["services"]["kafka"]["environment"]
    assert int(environment["KAFKA_NUM_PARTITIONS"]) == CommonSettings().kafka_topic_partitions == 12


def test_every_service_reads_the_one_anchored_program_clock_the_clock_service_writes(
    compose: dict[str, Any],
) -> None:
    clock = compose["services"]["clock"]
    (written,) = [a for a in clock["entrypoint"] if a.startswith("/")]
    (volume,) = clock["volumes"]
    assert clock["environment"]["VOUCHER_CLOCK"] == "${VOUCHER_CLOCK:-}"
    assert volume == f"program-clock:{Path(written).parent}"
    assert "program-clock" in compose["volumes"]
    for name in SERVICES:
        service = compose["services"][name]
        assert service["depends_on"]["clock"]["condition"] == "service_completed_successfully"
        assert f"program-clock:{Path(written).parent}:ro" in service["volumes"]
        assert f"cat {written}" in service["entrypoint"][2]
        assert service["command"] == ["python", "-m", name]
        assert f'CMD ["python", "-m", "{name}"]' in (REPO / f"services/{name}/Dockerfile").read_text()


def test_two_services_started_apart_read_the_same_anchored_clock(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compose entrypoints run here by sh, on what `clock` wrote, a while apart."""
    written = tmp_path / "voucher_clock"
    monkeypatch.setenv("VOUCHER_CLOCK", "2026-05-20T10:00:00+08:00")
    done = subprocess.run(
        [sys.executable, "-m", "vouchers_shared.clock", "--write", str(written)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    script = compose["services"]["intake"]["entrypoint"][2].replace("$$", "$")
    script = script.replace("/run/vouchers-clock/voucher_clock", str(written))
    read = "import os; print(os.environ['VOUCHER_CLOCK'])"
    seen = []
    for _ in range(2):
        run = subprocess.run(
            ["sh", "-c", script, "--", sys.executable, "-c", read],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        seen.append(run.stdout.strip())
        time.sleep(1.1)
    assert seen[0] == seen[1] == written.read_text().strip()
    assert seen[0].startswith("2026-05-20T10:00:00+08:00@")
