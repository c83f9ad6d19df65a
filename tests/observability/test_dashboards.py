"""The provisioned Grafana dashboards and the alert rules query what the services really export.

Every PromQL expression of every dashboard (and of alerts.yml) is read for the metric names it
selects, which must be among the families the four services of a running suite export. Then a
real Prometheus (Debian's package, as `make up` runs it) scrapes that suite with the alert
rules loaded: it accepts every dashboard query, the instant ones return series, and every rule
evaluates without error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import suitectl
import yaml
from prometheus_client.metrics_core import Metric

from tests.observability.scraping import SCRAPE_METRICS, exported_names, merged, metric_names, scrape
from tests.support.suite import Suite, wait_for

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
SERVICES = ("intake", "eligibility", "verification", "notification")
BOARDS = ("overview", *SERVICES)
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s"}


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def queries() -> Iterator[tuple[str, str, str]]:
    """(dashboard, panel title, expression) of every query of every dashboard."""
    for name, board in dashboards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                yield name, panel["title"], target["expr"]


def alert_expressions() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text("utf-8"))
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_there_is_an_overview_and_one_dashboard_per_service() -> None:
    boards = dashboards()
    assert set(boards) == set(BOARDS)
    assert len({b["uid"] for b in boards.values()}) == len(BOARDS)
    for name, board in boards.items():
        assert len([p for p in board["panels"] if p["type"] != "row"]) >= 6, name


def test_the_committed_dashboards_are_what_dashboards_py_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(GRAFANA / "dashboards.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_query_uses_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    [source] = provisioned["datasources"]
    for name, board in dashboards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                assert target["datasource"] == {"type": source["type"], "uid": source["uid"]}, name


def test_metric_names_are_read_from_promql_without_functions_labels_or_keywords() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, route) (rate(vouchers_http_request_seconds_bucket"
        '{service="intake",route=~"/v1/.+"}[$__rate_interval]))) > 1 and on (route) '
        "sum without (status) (up offset 5m) / ignoring (x) group_left (y) a_total * 60"
    )
    assert metric_names(expr) == {"vouchers_http_request_seconds_bucket", "up", "a_total"}


@pytest.fixture(scope="module")
def families(suite: Suite) -> list[Metric]:
    return merged(*(scrape(suite.urls[s]) for s in SERVICES))


@pytest.fixture(scope="module")
def exported(families: list[Metric]) -> set[str]:
    return exported_names(families) | SCRAPE_METRICS


@pytest.mark.e2e
@pytest.mark.integration
def test_every_dashboard_query_names_only_exported_metrics(exported: set[str]) -> None:
    unknown = {
        (board, title, name)
        for board, title, expr in queries()
        for name in metric_names(expr)
        if name not in exported
    }
    assert not unknown
    assert len({n for _, _, e in queries() for n in metric_names(e)}) >= 15


@pytest.mark.e2e
@pytest.mark.integration
def test_every_alert_names_only_exported_metrics(exported: set[str]) -> None:
    unknown = {n for expr in alert_expressions() for n in metric_names(expr) if n not in exported}
    assert not unknown


@pytest.mark.e2e
@pytest.mark.integration
def test_every_domain_metric_is_on_some_dashboard(families: list[Metric]) -> None:
    used = {n for _, _, e in queries() for n in metric_names(e)}
    domain = {f.name for f in families if f.name.startswith("vouchers_") and not f.name.endswith("_created")}
    missing = {name for name in domain if not any(u == name or u.startswith(f"{name}_") for u in used)}
    assert not missing


@pytest.fixture(scope="module")
def prometheus(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prometheus scraping the session suite every second, with the alert rules loaded."""
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: `make install` installs Debian's prometheus package")
    workdir = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {
                "job_name": "vouchers",
                "static_configs": [
                    {"targets": [suite.urls[s].removeprefix("http://")], "labels": {"service": s}}
                    for s in SERVICES
                ],
            }
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    (port,) = suitectl.free_ports(1)
    proc = suitectl.start_prometheus(
        workdir / "data", port, workdir / "prometheus.log", config=workdir / "prometheus.yml"
    )
    try:
        suitectl.wait_ready(proc, timeout=60)
        url = f"http://127.0.0.1:{port}"
        wait_for(
            "every service scraped", lambda: len(instant(url, 'up{job="vouchers"} == 1')) == 4, timeout=60
        )
        twice = "count(count_over_time(vouchers_consumer_lag[1m]) > 1)"
        wait_for("lag scraped twice", lambda: instant(url, twice), timeout=60)
        yield url
    finally:
        suitectl.stop(proc, 10.0)


def instant(url: str, expr: str) -> list[dict[str, Any]]:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    response = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert response.status_code == 200, (expr, body)
    assert body["status"] == "success", (expr, body)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


@pytest.mark.e2e
@pytest.mark.integration
def test_prometheus_runs_every_dashboard_query_and_the_instant_ones_return_series(prometheus: str) -> None:
    empty = []
    for board, title, expr in queries():
        result = instant(prometheus, expr)
        if not any(f in expr for f in ("rate(", "increase(", "histogram_quantile(")) and not result:
            empty.append((board, title, expr))
    assert not empty


@pytest.mark.e2e
@pytest.mark.integration
def test_every_alert_rule_evaluates_without_error_on_the_suite(prometheus: str) -> None:
    def evaluated() -> list[dict[str, Any]] | None:
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules: list[dict[str, Any]] = [r for g in groups for r in g["rules"]]
        done = rules and all(not r.get("lastEvaluation", "0001").startswith("0001") for r in rules)
        return rules if done else None

    rules = wait_for("every rule evaluated", evaluated, timeout=60)
    assert len(rules) == len(alert_expressions())
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
