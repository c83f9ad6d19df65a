"""The Prometheus files under deploy/prometheus pass promtool (Debian's `prometheus` package,
installed by `make install`), and every alert fires as its unit test in alerts_test.yml says."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
PORTS = {"intake": 8080, "eligibility": 8081, "verification": 8082, "notification": 8083}


def promtool(
    *args: str, cwd: Path = PROMETHEUS, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed: `make install` installs Debian's prometheus package")
    return subprocess.run(
        [binary, *args], cwd=cwd, input=input_text, capture_output=True, text=True, timeout=120, check=False
    )


def load(name: str) -> Any:
    return yaml.safe_load((PROMETHEUS / name).read_text("utf-8"))


def test_alert_rules_pass_promtool_check_rules() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: \d+ rules found", result.stdout)


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-compose.yml"])
def test_scrape_configs_pass_promtool_check_config(config: str) -> None:
    result = promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_on_the_series_of_its_unit_test_and_only_there() -> None:
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    alerts = {r["alert"] for g in load("alerts.yml")["groups"] for r in g["rules"] if "alert" in r}
    tested = {c["alertname"] for t in load("alerts_test.yml")["tests"] for c in t["alert_rule_test"]}
    assert alerts == tested


def test_promtool_refuses_a_broken_rule(tmp_path: Path) -> None:
    broken = (
        (PROMETHEUS / "alerts.yml")
        .read_text("utf-8")
        .replace(
            "sum by (topic) (increase(vouchers_dlq_messages_total[5m])) > 0",
            "sum by (topic) (increase(vouchers_dlq_messages_total[5m]) > 0",
        )
    )
    (tmp_path / "alerts.yml").write_text(broken, "utf-8")
    result = promtool("check", "rules", "alerts.yml", cwd=tmp_path)
    assert result.returncode != 0


def test_local_scrape_config_names_every_service_on_its_default_port() -> None:
    [job] = load("prometheus.yml")["scrape_configs"]
    targets = {c["labels"]["service"]: c["targets"] for c in job["static_configs"]}
    assert targets == {name: [f"127.0.0.1:{port}"] for name, port in PORTS.items()}


def test_compose_scrape_config_names_the_compose_services() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))["services"]
    [job] = load("prometheus-compose.yml")["scrape_configs"]
    targets = {c["labels"]["service"]: c["targets"] for c in job["static_configs"]}
    assert targets == {name: [f"{name}:{port}"] for name, port in PORTS.items()}
    for name, port in PORTS.items():
        assert any(p.endswith(f":{port}:{port}") for p in compose[name]["ports"]), compose[name]["ports"]
