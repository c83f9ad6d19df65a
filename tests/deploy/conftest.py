"""What the deployment files are checked against: the rendered manifests and the services' code."""

from __future__ import annotations

import atexit
import functools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from vouchers_shared import signing_key

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
SERVICES = ("intake", "eligibility", "verification", "notification")
OVERLAYS = ("overlays/local", "overlays/production-example")
FULL = "overlays/production-example"  # the overlay with every component: what the per-object checks read

# Builds each service's app in a fresh interpreter (nothing connects until start-up) and lists
# the consumer groups its broker subscribes, with their topics, and the topics it declares it
# publishes to (its events and the dead-letter topics of what it reads).
_LIST_KAFKA_USE = """
import importlib, json
found = {}
for service in %r:
    app_module = importlib.import_module(service + ".app")
    settings = importlib.import_module(service + ".config").Settings()
    brokers = []
    build = app_module.build_broker
    app_module.build_broker = lambda *a, **kw: brokers.append(build(*a, **kw)) or brokers[-1]
    app_module.create_app(settings)
    found[service] = {
        "groups": {s.group_id: sorted(t.name for t in s.topics) for s in brokers[0].subscribers},
        "publishes": sorted({p.topic for p in brokers[0].publishers}),
    }
print(json.dumps(found))
"""


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl is not installed: the manifests are rendered with `kubectl kustomize`")
    return found


def kustomization(target: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / target / "kustomization.yaml").read_text("utf-8"))
    return loaded


def operator_files(target: str) -> list[Path]:
    """The files `target`'s secretGenerator reads: the operator creates them, git ignores them."""
    found = []
    for generator in kustomization(target).get("secretGenerator", []):
        for entry in generator.get("envs", []) + generator.get("files", []):
            found.append(K8S / target / entry.split("=")[-1])
    return found


def example_keys(env_file: Path) -> list[str]:
    """The keys of `<env_file>.example`, in order; its values must all be empty."""
    lines = env_file.with_name(env_file.name + ".example").read_text("utf-8").splitlines()
    return [line.split("=", 1)[0] for line in lines if line.strip() and not line.startswith("#")]


@functools.cache
def filled_in() -> tuple[Path, frozenset[str]]:
    """A copy of deploy/k8s with every operator file written as an operator would, from fresh
    random values (never a file of the working tree); returns the copy and those values."""
    root = Path(tempfile.mkdtemp(prefix="vouchers-k8s-"))
    atexit.register(shutil.rmtree, root, True)
    shutil.copytree(K8S, root / "k8s")
    values: set[str] = set()
    for overlay in OVERLAYS:
        for original in operator_files(overlay):
            path = root / "k8s" / original.relative_to(K8S)
            if original.suffix == ".env":
                pairs = {key: secrets.token_urlsafe(48) for key in example_keys(original)}
                path.write_text("".join(f"{k}={v}\n" for k, v in pairs.items()), "utf-8")
                values.update(pairs.values())
            else:
                body = secrets.token_urlsafe(48)
                text = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
                path.write_text(text, "utf-8")
                values.add(text)
    return root / "k8s", frozenset(values)


@functools.cache
def rendered(target: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize deploy/k8s/<target>`, the operator's files filled in (read once; copy
    an object before changing it)."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(filled_in()[0] / target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def load_manifests(target: str = FULL) -> list[dict[str, Any]]:
    return list(rendered(target))


def by_kind(kind: str, target: str = FULL) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in rendered(target) if doc["kind"] == kind}


def documented_secret_keys() -> dict[str, set[str]]:
    """Secret name -> the keys the operator provides (the local overlay's generators, whose
    example file lists them; an external Secret must carry the same keys)."""
    keys: dict[str, set[str]] = {}
    for generator in kustomization(OVERLAYS[0]).get("secretGenerator", []):
        names = {key for env in generator.get("envs", []) for key in example_keys(K8S / OVERLAYS[0] / env)}
        names |= {entry.split("=")[0] for entry in generator.get("files", [])}
        keys[generator["name"]] = names
    return keys


@pytest.fixture(scope="session")
def kafka_use() -> dict[str, dict[str, Any]]:
    """service -> {"groups": {group id: [topics]}, "publishes": [topics]}, from the code."""
    env = {**os.environ, "VOUCHERS_TOKEN_KEY": signing_key.generate()}
    done = subprocess.run(
        [sys.executable, "-c", _LIST_KAFKA_USE % (SERVICES,)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="session")
def consumer_groups(kafka_use: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """service -> {group id: [topics]}, as the services' own code subscribes them."""
    return {service: use["groups"] for service, use in kafka_use.items()}


def unknown_fields(value: Any, shape: Any, at: str = "") -> list[str]:
    """Paths in `value` that `shape` does not name: a dict shape lists the keys allowed (each with
    its own shape), a one-item list shape is the shape of every item, `...` allows anything. The
    hand check of custom resources, whose schemas kubernetes-validate does not have."""
    if shape is Ellipsis:
        return []
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{at or '/'}: not a mapping"]
        found = []
        for key, item in value.items():
            if key not in shape:
                found.append(f"{at}/{key}")
            else:
                found += unknown_fields(item, shape[key], f"{at}/{key}")
        return found
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{at}: not a list"]
        return [path for i, item in enumerate(value) for path in unknown_fields(item, shape[0], f"{at}/{i}")]
    return [] if isinstance(value, shape) else [f"{at}: not {shape.__name__}"]


OBJECT_META = {"name": str, "namespace": str, "labels": ..., "annotations": ...}
