"""The Prometheus Operator's ServiceMonitor gives each target the labels the dashboards and alerts
use, the same as the local scrape config's: job="vouchers" and service="<name>"."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import OBJECT_META, REPO, SERVICES, by_kind, unknown_fields

RELABEL = {
    "sourceLabels": [str],
    "separator": str,
    "targetLabel": str,
    "regex": str,
    "replacement": str,
    "action": str,
    "modulus": int,
}
SERVICE_MONITOR = {
    "apiVersion": str,
    "kind": str,
    "metadata": OBJECT_META,
    "spec": {
        "selector": {"matchLabels": ...},
        "namespaceSelector": ...,
        "jobLabel": str,
        "endpoints": [
            {
                "port": str,
                "path": str,
                "interval": str,
                "scrapeTimeout": str,
                "scheme": str,
                "relabelings": [RELABEL],
                "metricRelabelings": [RELABEL],
            }
        ],
    },
}


def monitor() -> dict[str, Any]:
    (only,) = by_kind("ServiceMonitor").values()
    return only


def local_scrape_labels() -> dict[str, dict[str, str]]:
    """service -> the target labels deploy/prometheus/prometheus.yml gives it."""
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text("utf-8"))
    (job,) = config["scrape_configs"]
    return {c["labels"]["service"]: {"job": job["job_name"], **c["labels"]} for c in job["static_configs"]}


def sanitized(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def target_labels(service: dict[str, Any], relabelings: list[dict[str, Any]]) -> dict[str, str]:
    """The labels Prometheus gives a target of `service`: the operator's own relabelings (job and
    service from the Service's name), then the ServiceMonitor's, as Prometheus applies them."""
    meta = {
        "__meta_kubernetes_service_name": service["metadata"]["name"],
        "__meta_kubernetes_namespace": service["metadata"]["namespace"],
    }
    meta |= {
        f"__meta_kubernetes_service_label_{sanitized(k)}": v
        for k, v in service["metadata"].get("labels", {}).items()
    }
    labels = meta | {
        "service": service["metadata"]["name"],
        "job": service["metadata"]["name"],
        "namespace": service["metadata"]["namespace"],
    }
    for rule in relabelings:
        action = rule.get("action", "replace").lower()
        assert action == "replace", "only replace is simulated here"
        value = rule.get("separator", ";").join(labels.get(s, "") for s in rule.get("sourceLabels", []))
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if match:
            labels[rule["targetLabel"]] = match.expand(rule.get("replacement", "$1").replace("$", "\\"))
    return {k: v for k, v in labels.items() if not k.startswith("__")}


def selected() -> dict[str, dict[str, Any]]:
    wanted = monitor()["spec"]["selector"]["matchLabels"]
    ports = {e["port"] for e in monitor()["spec"]["endpoints"]}
    return {
        name: s
        for name, s in by_kind("Service").items()
        if wanted.items() <= s["metadata"].get("labels", {}).items()
        and ports & {p["name"] for p in s["spec"]["ports"]}
    }


def test_service_monitor_has_only_fields_the_operator_knows() -> None:
    assert unknown_fields(monitor(), SERVICE_MONITOR) == []
    (endpoint,) = monitor()["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"


def test_it_selects_every_service_and_nothing_else() -> None:
    assert sorted(selected()) == sorted(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_a_target_gets_the_labels_the_local_scrape_config_gives(name: str) -> None:
    (endpoint,) = monitor()["spec"]["endpoints"]
    labels = target_labels(selected()[name], endpoint["relabelings"])
    assert {k: labels[k] for k in ("job", "service")} == local_scrape_labels()[name]


def test_the_service_label_survives_a_renamed_service() -> None:
    """An overlay's namePrefix renames the Services; the dashboards still want service="intake"."""
    renamed = copy.deepcopy(selected()["intake"])
    renamed["metadata"]["name"] = "prod-intake"
    (endpoint,) = monitor()["spec"]["endpoints"]
    assert target_labels(renamed, endpoint["relabelings"])["service"] == "intake"
    assert target_labels(renamed, [])["service"] == "prod-intake"  # the operator's own label alone


def test_the_alerts_and_dashboards_ask_for_that_job() -> None:
    (job,) = {labels["job"] for labels in local_scrape_labels().values()}
    assert f'up{{job="{job}"}}' in (REPO / "deploy/prometheus/alerts.yml").read_text("utf-8")
    assert f'up{{job=\\"{job}\\"}}' in (REPO / "deploy/grafana/dashboards/overview.json").read_text("utf-8")
