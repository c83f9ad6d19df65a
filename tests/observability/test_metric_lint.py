"""What each service exports on GET /metrics passes promtool's lint (`promtool check metrics`):
its own metrics, FastStream's and the client's, each family with a sample, as a scrape sees them
once the service has been at work. Nothing is started: the app is built and its registry read."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from vouchers_shared import signing_key

from tests.observability.test_prometheus_config import REPO, promtool

SERVICES = ("intake", "eligibility", "verification", "notification")

# Builds the service's app in a fresh interpreter, gives every metric family a sample (labels
# "x"), and prints the registry as the service's GET /metrics would.
_EXPOSITION = """
import importlib, sys
from prometheus_client import REGISTRY, generate_latest
importlib.import_module(%r + ".app").create_app()
for collector in list(REGISTRY._collector_to_names):
    labels = getattr(collector, "_labelnames", None)
    if labels is None:  # a collector of its own (process, platform, gc): sampled already
        continue
    metric = collector.labels(*["x"] * len(labels)) if labels else collector
    kind = collector._type
    if kind == "counter":
        metric.inc()
    elif kind == "gauge":
        metric.set(1)
    elif kind in ("histogram", "summary"):
        metric.observe(0.1)
    elif kind == "info":
        metric.info({"version": "x"})
    else:
        raise SystemExit(f"no sample for a {kind} ({collector._name})")
sys.stdout.write(generate_latest(REGISTRY).decode())
"""


def exposition(service: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _EXPOSITION % service],
        cwd=REPO,
        env={**os.environ, "VOUCHERS_TOKEN_KEY": signing_key.generate()},  # a service needs one
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_the_metrics_of_each_service_pass_promtool_check_metrics(service: str) -> None:
    text = exposition(service)
    assert "vouchers_messages_handled_total{" in text  # the families have samples
    result = promtool("check", "metrics", input_text=text)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_promtool_objects_to_a_unit_other_than_a_base_unit() -> None:
    text = (
        "# HELP vouchers_waits_days Open cases\n# TYPE vouchers_waits_days gauge\n"
        'vouchers_waits_days{mark="50"} 1\n'
    )
    result = promtool("check", "metrics", input_text=text)
    assert result.returncode != 0
    assert 'use base unit "seconds" instead of "days"' in result.stdout + result.stderr
