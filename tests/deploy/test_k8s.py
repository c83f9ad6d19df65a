"""deploy/k8s: what `kubectl kustomize` renders from the base and each overlay, objects the API
server accepts (checked offline), wired to the services' settings, with no secret committed."""

from __future__ import annotations

import base64
import copy
import importlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from vouchers_shared.settings import CommonSettings

from tests.deploy.conftest import (
    FULL,
    K8S,
    OVERLAYS,
    REPO,
    SERVICES,
    by_kind,
    documented_secret_keys,
    example_keys,
    filled_in,
    kubectl,
    kustomization,
    operator_files,
    rendered,
)

# The newest Kubernetes the validator ships schemas for, and the oldest still supported upstream.
VERSIONS = (kubernetes_validate.latest_version(), "1.32.0")
TARGETS = ("base", *OVERLAYS, "kafka")
# Custom resources: kubernetes-validate has no schema for them, so they are skipped here by
# name and checked by hand (test_keda, test_monitoring, test_kafka_acls).
CUSTOM = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("kafka.strimzi.io/v1beta2", "KafkaUser"),
}
PORTS = {"intake": 8080, "eligibility": 8081, "verification": 8082, "notification": 8083}
NOT_SETTINGS = {"PYTHONDONTWRITEBYTECODE"}
SECRET_WORDS = ("PASSWORD", "TOKEN", "KEY", "SECRET", "MONGODB_URL", "USERNAME", "USER")
BASE_IMAGE = "registry.invalid/vouchers/{}"  # .invalid never resolves: the base alone pulls nothing
PUBLIC = {"/notices": "notification", "/console": "notification", "/v1/applications": "intake"}

BUILT_IN = [
    (target, doc)
    for target in TARGETS
    for doc in rendered(target)
    if (doc["apiVersion"], doc["kind"]) not in CUSTOM
]


def test_only_the_named_custom_resources_are_left_to_their_own_checks() -> None:
    left = {(d["apiVersion"], d["kind"]) for t in TARGETS for d in rendered(t)} - {
        (d["apiVersion"], d["kind"]) for _, d in BUILT_IN
    }
    assert left == CUSTOM


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("target", "doc"), BUILT_IN, ids=[f"{t}:{d['kind']}/{d['metadata']['name']}" for t, d in BUILT_IN]
)
def test_object_validates_strictly(target: str, doc: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def test_strict_validation_refuses_a_misspelt_field() -> None:
    deployment = copy.deepcopy(by_kind("Deployment")["intake"])
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {"limits": {"cpu": "1"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


# --- the base, the overlays and where images and secrets come from ---------------------------


def images(target: str) -> dict[str, str]:
    return {
        c["name"]: c["image"]
        for d in rendered(target)
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }


def test_the_base_renders_alone_with_built_in_kinds_and_no_secret() -> None:
    kinds = {(d["apiVersion"], d["kind"]) for d in rendered("base")}
    assert not kinds & CUSTOM  # a cluster without KEDA or the Prometheus Operator applies it
    assert ("v1", "Secret") not in kinds
    namespaced = [d for d in rendered("base") if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {"vouchers"}
    assert images("base") == {name: BASE_IMAGE.format(name) for name in SERVICES}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_sets_registry_and_tag_once_for_every_image(overlay: str) -> None:
    entries = kustomization(overlay)["images"]
    assert sorted(e["name"] for e in entries) == sorted(BASE_IMAGE.format(n) for n in SERVICES)
    assert len({e["newName"].rsplit("/", 1)[0] for e in entries}) == 1  # one registry
    assert len({e.get("newTag", e.get("digest")) for e in entries}) == 1  # one release
    for entry in entries:
        assert entry["newName"].rsplit("/", 1)[1] == entry["name"].rsplit("/", 1)[1]
    pinned = {e["name"]: f":{e['newTag']}" if "newTag" in e else f"@{e['digest']}" for e in entries}
    wanted = {e["name"].rsplit("/", 1)[1]: e["newName"] + pinned[e["name"]] for e in entries}
    assert images(overlay) == wanted


def committed_documents() -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(path.relative_to(K8S)), doc)
        for path in sorted(K8S.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text("utf-8"))
        if doc
    ]


def test_no_committed_file_holds_a_secret_value() -> None:
    documents = committed_documents()
    assert any(name.endswith("kustomization.yaml") for name, _ in documents)
    for name, doc in documents:
        assert doc.get("kind") != "Secret", name
        for generator in doc.get("secretGenerator", []):
            assert set(generator) <= {"name", "envs", "files", "type", "options"}, (name, generator)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_files_secrets_are_generated_from_are_git_ignored_with_an_empty_example(overlay: str) -> None:
    for path in operator_files(overlay):
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO, check=False)
        assert ignored.returncode == 0, f"{path} is not git-ignored"
        if path.suffix == ".env":
            example = path.with_name(path.name + ".example").read_text("utf-8")
            values = [
                line.split("=", 1)[1]
                for line in example.splitlines()
                if line.strip() and not line.startswith("#")
            ]
            assert values
            assert not any(values), "the example must not carry values"
    assert operator_files("overlays/local")  # the local overlay generates its Secrets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_secret_value_comes_from_the_operators_files(overlay: str) -> None:
    operators = filled_in()[1]
    for doc in rendered(overlay):
        if doc["kind"] == "Secret":
            assert "stringData" not in doc
            for key, value in doc.get("data", {}).items():
                assert base64.b64decode(value).decode() in operators, (doc["metadata"]["name"], key)


def referenced_secrets(target: str) -> set[str]:
    found = set()
    for doc in rendered(target):
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            found |= {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
            found |= {
                e["valueFrom"]["secretKeyRef"]["name"]
                for c in pod["containers"]
                for e in c.get("env", [])
                if "valueFrom" in e
            }
        if doc["kind"] == "Ingress":
            found |= {tls["secretName"] for tls in doc["spec"].get("tls", [])}
        if doc["kind"] == "TriggerAuthentication":
            found |= {ref["name"] for ref in doc["spec"]["secretTargetRef"]}
    return found


def test_the_local_overlay_generates_every_secret_its_objects_read() -> None:
    made = {d["metadata"]["name"] for d in rendered("overlays/local") if d["kind"] == "Secret"}
    assert referenced_secrets("overlays/local") == made
    assert {name.rsplit("-", 1)[0] for name in made} == set(documented_secret_keys())


def test_the_production_example_reads_secrets_made_outside_these_files() -> None:
    assert not by_kind("Secret", FULL)
    assert referenced_secrets(FULL) == {*documented_secret_keys(), "vouchers-public-tls"}


def test_a_secret_generated_beside_the_keda_component_is_renamed_in_its_trigger_authentication(
    tmp_path: Path,
) -> None:
    """kustomize knows no KEDA kinds: the component tells it where a Secret's name goes, so the
    local overlay may take the component and keep generating its Secrets."""
    copy_root = tmp_path / "k8s"
    shutil.copytree(filled_in()[0], copy_root)
    local = copy_root / OVERLAYS[0] / "kustomization.yaml"
    wanted = yaml.safe_load(local.read_text("utf-8")) | {"components": ["../../components/keda"]}
    local.write_text(yaml.safe_dump(wanted), "utf-8")
    done = subprocess.run(
        [kubectl(), "kustomize", str(local.parent)], capture_output=True, text=True, timeout=120, check=True
    )
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    made = {d["metadata"]["name"] for d in docs if d["kind"] == "Secret"}
    (auth,) = [d for d in docs if d["kind"] == "TriggerAuthentication"]
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} <= made


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ca_files_the_settings_name_are_in_the_mounted_secret(overlay: str) -> None:
    target = overlay
    data = config(target)
    named = {data["KAFKA_SSL_CAFILE"]}
    if data["MONGODB_TLS"] == "true":
        named.add(data["MONGODB_TLS_CA_FILE"])
    for name in SERVICES:
        pod = by_kind("Deployment", target)[name]["spec"]["template"]["spec"]
        (mount,) = [m for m in container(name, target)["volumeMounts"] if m["name"] == "ca"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "ca"]
        assert {path.rsplit("/", 1)[0] for path in named} == {mount["mountPath"]}
        generated = by_kind("Secret", target).get(volume["secret"]["secretName"])
        if generated is not None:  # made here: it must hold every file the settings name
            assert {path.rsplit("/", 1)[1] for path in named} <= set(generated["data"])


def test_the_example_lists_no_key_that_nothing_reads() -> None:
    read: dict[str, set[str]] = {}
    for doc in rendered(FULL):
        if doc["kind"] == "Deployment":
            for entry in doc["spec"]["template"]["spec"]["containers"][0].get("env", []):
                if "valueFrom" in entry:
                    ref = entry["valueFrom"]["secretKeyRef"]
                    read.setdefault(ref["name"], set()).add(ref["key"])
        if doc["kind"] == "TriggerAuthentication":
            for ref in doc["spec"]["secretTargetRef"]:
                read.setdefault(ref["name"], set()).add(ref["key"])
    assert read == documented_secret_keys()


def test_the_example_keeps_the_token_key_with_how_to_make_one() -> None:
    example = (K8S / "overlays/local/secrets.env.example").read_text("utf-8")
    assert "VOUCHERS_TOKEN_KEY" in example_keys(K8S / "overlays/local/secrets.env")
    assert "openssl rand -base64 48" in example


# --- the public host -------------------------------------------------------------------------


def route(ingress: dict[str, Any], path: str) -> str | None:
    """The Service a request path reaches, by the Ingress rules of pathType Prefix and Exact:
    element-wise prefixes, a trailing slash ignored, the longest match winning."""
    asked = [p for p in path.split("/") if p]
    best: tuple[int, str] | None = None
    for rule in ingress["spec"]["rules"]:
        for entry in rule["http"]["paths"]:
            elements = [p for p in entry["path"].split("/") if p]
            if entry["pathType"] == "Exact":
                hit = entry["path"] == path
            else:
                assert entry["pathType"] == "Prefix", "only Prefix and Exact mean the same everywhere"
                hit = asked[: len(elements)] == elements
            if hit and (best is None or len(entry["path"]) > best[0]):
                best = (len(entry["path"]), entry["backend"]["service"]["name"])
    return None if best is None else best[1]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_public_host_routes_only_the_public_paths(overlay: str) -> None:
    (ingress,) = by_kind("Ingress", overlay).values()
    assert "defaultBackend" not in ingress["spec"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"]  # a host of its own, not every name the controller answers
    paths = {entry["path"]: entry["backend"]["service"]["name"] for entry in rule["http"]["paths"]}
    assert paths == PUBLIC
    services = by_kind("Service", overlay)
    for entry in rule["http"]["paths"]:
        backend = entry["backend"]["service"]
        (port,) = services[backend["name"]]["spec"]["ports"]
        assert backend["port"] == {"name": port["name"]}
        assert port["port"] == PORTS[backend["name"]]


REACHED = {
    "/notices": "notification",
    "/notices/N-2026-01": "notification",
    "/console/": "notification",
    "/console/cases/A1": "notification",
    "/v1/applications": "intake",
    "/v1/applications/A1": "intake",
}
NOT_REACHED = (
    "/",
    "/metrics",
    "/health/live",
    "/health/ready",
    "/v1/refdata/providers",
    "/v1/dev/tokens",
    "/v1/cases",
    "/v1/cases/A1",
    "/v1/notices",
    "/v1/objections/O1/resolve",
    "/v1/objections/dismiss",
    "/v1/consent-records",
    "/noticesx",
    "/consoles",
    "/v1/applicationsx",
    "/docs",
    "/openapi.json",
)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_operator_and_internal_endpoints_are_not_reachable_on_the_public_host(overlay: str) -> None:
    (ingress,) = by_kind("Ingress", overlay).values()
    assert {path: route(ingress, path) for path in REACHED} == REACHED
    assert {path: route(ingress, path) for path in NOT_REACHED} == dict.fromkeys(NOT_REACHED)
    # notification's operator review shares intake's prefix: it lands on intake, which has no such route
    assert route(ingress, "/v1/applications/A1/review") == "intake"


def test_the_route_check_sees_a_leak() -> None:
    ingress = copy.deepcopy(by_kind("Ingress")["vouchers-public"])
    ingress["spec"]["rules"][0]["http"]["paths"].append(
        {"path": "/v1", "pathType": "Prefix", "backend": {"service": {"name": "notification"}}}
    )
    assert route(ingress, "/v1/cases") == "notification"
    assert route(ingress, "/v1/applications/A1") == "intake"  # the longer prefix still wins


# --- the containers and their settings --------------------------------------------------------


def container(name: str, target: str = FULL) -> dict[str, Any]:
    (only,) = by_kind("Deployment", target)[name]["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def config(target: str = FULL) -> dict[str, str]:
    data: dict[str, str] = by_kind("ConfigMap", target)["vouchers-config"]["data"]
    return data


def graceful_timeout() -> float:
    return float(config().get("GRACEFUL_TIMEOUT_S", CommonSettings().graceful_timeout_s))


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_deployment_and_a_service_on_its_port(name: str) -> None:
    port = container(name)["ports"][0]
    assert (port["name"], port["containerPort"]) == ("http", PORTS[name])
    env = {e["name"]: e.get("value") for e in container(name)["env"]}
    assert env[f"{name.upper()}_HTTP_PORT"] == str(PORTS[name])
    assert env[f"{name.upper()}_HTTP_HOST"] == "0.0.0.0"
    service = by_kind("Service")[name]
    assert service["spec"]["selector"] == by_kind("Deployment")[name]["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("name", SERVICES)
def test_probes_ask_the_health_endpoints(name: str) -> None:
    spec = container(name)
    assert spec["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert spec["startupProbe"]["httpGet"]["path"] == "/health/live"


@pytest.mark.parametrize("name", SERVICES)
def test_resources_are_requested_and_limited(name: str) -> None:
    resources = container(name)["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[kind]), kind


@pytest.mark.parametrize("name", SERVICES)
def test_grace_period_outlasts_the_pre_stop_pause_and_both_drains(name: str) -> None:
    pod = by_kind("Deployment")[name]["spec"]["template"]["spec"]
    pause = float(container(name)["lifecycle"]["preStop"]["exec"]["command"][-1])
    grace = pod["terminationGracePeriodSeconds"]
    assert grace > graceful_timeout()
    assert grace > pause + 2 * graceful_timeout()  # open requests, then in-flight messages


@pytest.mark.parametrize("name", SERVICES)
def test_pods_run_as_non_root_without_privileges(name: str) -> None:
    pod = by_kind("Deployment")[name]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    context = container(name)["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("name", SERVICES)
def test_settings_come_from_the_config_map_and_secrets_from_the_secret(name: str) -> None:
    spec = container(name)
    assert {"configMapRef": {"name": "vouchers-config"}} in spec["envFrom"]
    keys = documented_secret_keys()["vouchers-secrets"]
    by_name = {e["name"]: e for e in spec["env"]}
    token = by_name["VOUCHERS_TOKEN_KEY"]["valueFrom"]["secretKeyRef"]
    assert token == {"name": "vouchers-secrets", "key": "VOUCHERS_TOKEN_KEY"}
    for entry in spec["env"]:
        if "valueFrom" in entry:
            assert entry["valueFrom"]["secretKeyRef"]["key"] in keys
        else:
            assert not any(word in entry["name"] for word in SECRET_WORDS), entry["name"]
    assert not [k for k in config() if any(word in k for word in SECRET_WORDS) and "FILE" not in k]


def test_each_service_logs_in_to_kafka_as_a_user_of_its_own() -> None:
    logins = set()
    for name in SERVICES:
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
            for e in container(name)["env"]
            if "valueFrom" in e
        }
        assert refs["KAFKA_SASL_USERNAME"] == f"{name.upper()}_KAFKA_USERNAME"
        assert refs["KAFKA_SASL_PASSWORD"] == f"{name.upper()}_KAFKA_PASSWORD"
        logins.add(refs["KAFKA_SASL_USERNAME"])
    assert len(logins) == len(SERVICES)


def settings_of(name: str) -> set[str]:
    settings = importlib.import_module(f"{name}.config").Settings
    return {field.upper() for field in settings.model_fields}


@pytest.mark.parametrize("name", SERVICES)
def test_every_variable_a_container_sets_is_a_setting_of_its_service(name: str) -> None:
    """A misspelt variable is silently ignored by pydantic-settings; catch it here."""
    given = {e["name"] for e in container(name)["env"]}
    assert given - NOT_SETTINGS - settings_of(name) == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_shared_setting_is_read_by_some_service(overlay: str) -> None:
    known = set().union(*(settings_of(name) for name in SERVICES))
    assert set(config(overlay)) - NOT_SETTINGS - known == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_outside_local_mode_with_the_suite_partitions(overlay: str) -> None:
    data = config(overlay)
    assert data["VOUCHERS_LOCAL_MODE"] == "false"
    assert int(data["KAFKA_TOPIC_PARTITIONS"]) == CommonSettings().kafka_topic_partitions
