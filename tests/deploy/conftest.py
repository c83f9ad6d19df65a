"""What the deployment files are checked against: the manifests and the services' real groups."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from vouchers_shared import signing_key

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
SERVICES = ("intake", "eligibility", "verification", "notification")

# Builds each service's app in a fresh interpreter (nothing connects until start-up) and lists
# the consumer groups its broker subscribes, with their topics.
_LIST_GROUPS = """
import importlib, json
found = {}
for service in %r:
    app_module = importlib.import_module(service + ".app")
    settings = importlib.import_module(service + ".config").Settings()
    brokers = []
    build = app_module.build_broker
    app_module.build_broker = lambda *a, **kw: brokers.append(build(*a, **kw)) or brokers[-1]
    app_module.create_app(settings)
    found[service] = {s.group_id: sorted(t.name for t in s.topics) for s in brokers[0].subscribers}
print(json.dumps(found))
"""


@functools.cache
def load_manifests() -> list[tuple[str, dict[str, Any]]]:
    """(file name, object) for every document under deploy/k8s (read once; copy before changing)."""
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path.name, doc))
    return found


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in load_manifests() if doc["kind"] == kind}


@pytest.fixture(scope="session")
def consumer_groups() -> dict[str, dict[str, list[str]]]:
    """service -> {group id: [topics]}, as the services' own code subscribes them."""
    env = {**os.environ, "VOUCHERS_TOKEN_KEY": signing_key.generate()}
    done = subprocess.run([sys.executable, "-c", _LIST_GROUPS % (SERVICES,)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    groups: dict[str, dict[str, list[str]]] = json.loads(done.stdout.strip().splitlines()[-1])
    return groups
