"""deploy/k8s: objects the API server accepts (checked offline), wired to the services' settings."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import kubernetes_validate
import pytest
from vouchers_shared.settings import CommonSettings

from tests.deploy.conftest import SERVICES, by_kind, load_manifests

# The newest Kubernetes the validator ships schemas for, and the oldest still supported upstream.
VERSIONS = (kubernetes_validate.latest_version(), "1.32.0")
CRD_GROUPS = ("keda.sh/",)  # custom resources: no schema in kubernetes-validate, checked in test_keda
PORTS = {"intake": 8080, "eligibility": 8081, "verification": 8082, "notification": 8083}
NOT_SETTINGS = {"PYTHONDONTWRITEBYTECODE"}
SECRET_WORDS = ("PASSWORD", "TOKEN", "KEY", "SECRET", "MONGODB_URL", "USERNAME", "USER")

BUILT_IN = [(f, d) for f, d in load_manifests() if not d["apiVersion"].startswith(CRD_GROUPS)]


def test_only_keda_objects_are_left_to_their_own_checks() -> None:
    left = {d["kind"] for _, d in load_manifests() if d["apiVersion"].startswith(CRD_GROUPS)}
    assert left == {"ScaledObject", "TriggerAuthentication"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("source", "doc"), BUILT_IN,
                         ids=[f"{d['kind']}/{d['metadata']['name']}" for _, d in BUILT_IN])
def test_object_validates_strictly(source: str, doc: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def test_strict_validation_refuses_a_misspelt_field() -> None:
    deployment = copy.deepcopy(by_kind("Deployment")["intake"])
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {"limits": {"cpu": "1"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def container(name: str) -> dict[str, Any]:
    (only,) = by_kind("Deployment")[name]["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def config() -> dict[str, str]:
    data: dict[str, str] = by_kind("ConfigMap")["vouchers-config"]["data"]
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
    secret = by_kind("Secret")["vouchers-secrets"]["stringData"]
    by_name = {e["name"]: e for e in spec["env"]}
    token = by_name["VOUCHERS_TOKEN_KEY"]["valueFrom"]["secretKeyRef"]
    assert token == {"name": "vouchers-secrets", "key": "VOUCHERS_TOKEN_KEY"}
    for entry in spec["env"]:
        if "valueFrom" in entry:
            assert entry["valueFrom"]["secretKeyRef"]["key"] in secret
        else:
            assert not any(word in entry["name"] for word in SECRET_WORDS), entry["name"]
    assert not [k for k in config() if any(word in k for word in SECRET_WORDS) and "FILE" not in k]


def settings_of(name: str) -> set[str]:
    settings = importlib.import_module(f"{name}.config").Settings
    return {field.upper() for field in settings.model_fields}


@pytest.mark.parametrize("name", SERVICES)
def test_every_variable_a_container_sets_is_a_setting_of_its_service(name: str) -> None:
    """A misspelt variable is silently ignored by pydantic-settings; catch it here."""
    given = {e["name"] for e in container(name)["env"]}
    assert given - NOT_SETTINGS - settings_of(name) == set()


def test_every_shared_setting_is_read_by_some_service() -> None:
    known = set().union(*(settings_of(name) for name in SERVICES))
    assert set(config()) - NOT_SETTINGS - known == set()


def test_outside_local_mode_with_the_suite_partitions() -> None:
    assert config()["VOUCHERS_LOCAL_MODE"] == "false"
    assert int(config()["KAFKA_TOPIC_PARTITIONS"]) == CommonSettings().kafka_topic_partitions
