"""KEDA ScaledObjects: each consumer scales on the lag of the groups its code really uses, by a
threshold derived from the benchmark's figures."""

from __future__ import annotations

import re
from typing import Any

import pytest
from vouchers_shared.settings import CommonSettings

from tests.deploy.conftest import (
    OBJECT_META,
    REPO,
    SERVICES,
    by_kind,
    documented_secret_keys,
    unknown_fields,
)

REFDATA_GROUP_SUFFIX = "-refdata"  # one compacted snapshot per kind: its lag never calls for replicas
RATE = "vouchers/replica-records-per-second"
DRAIN = "vouchers/target-drain-seconds"
# Which benchmark figure is each service's basis: the verdicts' rate, or the slower drain of
# intake's read model and notification's cases (README "Benchmark").
BASIS = {"eligibility": "verdicts", "verification": "verdicts", "intake": "drain", "notification": "drain"}

KAFKA_METADATA = dict.fromkeys(
    (
        "bootstrapServers",
        "consumerGroup",
        "topic",
        "lagThreshold",
        "activationLagThreshold",
        "offsetResetPolicy",
        "allowIdleConsumers",
        "scaleToZeroOnInvalidOffset",
        "excludePersistentLag",
        "limitToPartitionsWithLag",
        "sasl",
        "tls",
        "unsafeSsl",
        "version",
        "partitionLimitation",
    ),
    str,
)
SCALED_OBJECT = {
    "apiVersion": str,
    "kind": str,
    "metadata": OBJECT_META,
    "spec": {
        "scaleTargetRef": {"apiVersion": str, "kind": str, "name": str},
        "minReplicaCount": int,
        "maxReplicaCount": int,
        "pollingInterval": int,
        "cooldownPeriod": int,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {
                    direction: {
                        "stabilizationWindowSeconds": int,
                        "selectPolicy": str,
                        "policies": [{"type": str, "value": int, "periodSeconds": int}],
                    }
                    for direction in ("scaleUp", "scaleDown")
                }
            }
        },
        "triggers": [
            {"type": str, "name": str, "metricType": str, "metadata": ..., "authenticationRef": {"name": str}}
        ],
    },
}
TRIGGER_AUTHENTICATION = {
    "apiVersion": str,
    "kind": str,
    "metadata": OBJECT_META,
    "spec": {"secretTargetRef": [{"parameter": str, "name": str, "key": str}]},
}
KEDA_SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}
KAFKA_AUTH_PARAMETERS = {"sasl", "username", "password", "tls", "ca", "cert", "key", "keyPassword"}


def scaled(name: str) -> dict[str, Any]:
    return by_kind("ScaledObject")[name]


def kafka_triggers(name: str) -> list[dict[str, Any]]:
    return [t for t in scaled(name)["spec"]["triggers"] if t["type"] == "kafka"]


def partitions() -> int:
    data = by_kind("ConfigMap")["vouchers-config"]["data"]
    return int(data.get("KAFKA_TOPIC_PARTITIONS", CommonSettings().kafka_topic_partitions))


@pytest.mark.parametrize("name", SERVICES)
def test_scaled_object_has_only_fields_keda_knows(name: str) -> None:
    assert unknown_fields(scaled(name), SCALED_OBJECT) == []
    for trigger in scaled(name)["spec"]["triggers"]:
        if trigger["type"] == "kafka":
            assert unknown_fields(trigger["metadata"], KAFKA_METADATA) == []  # strings, all of them
        else:
            assert (trigger["type"], trigger["metricType"]) == ("cpu", "Utilization")
            assert unknown_fields(trigger["metadata"], {"value": str}) == []


def test_the_shape_check_sees_a_misspelt_field() -> None:
    broken = {**scaled("verification"), "spec": {**scaled("verification")["spec"], "maxReplicas": 3}}
    assert unknown_fields(broken, SCALED_OBJECT) == ["/spec/maxReplicas"]
    assert unknown_fields({"lagThreshold": 100}, KAFKA_METADATA) == ["/lagThreshold: not str"]


@pytest.mark.parametrize("name", SERVICES)
def test_scaled_object_targets_the_services_deployment(name: str) -> None:
    target = scaled(name)["spec"]["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment"
    assert target["name"] in by_kind("Deployment")
    assert target["name"] == name
    assert scaled(name)["metadata"]["namespace"] == by_kind("Deployment")[name]["metadata"]["namespace"]


@pytest.mark.parametrize("name", SERVICES)
def test_replicas_stay_between_one_and_the_partition_count(name: str) -> None:
    spec = scaled(name)["spec"]
    assert spec["minReplicaCount"] >= 1
    assert spec["minReplicaCount"] <= spec["maxReplicaCount"] <= partitions() == 12
    assert "replicas" not in by_kind("Deployment")[name]["spec"]  # the autoscaler owns the count


@pytest.mark.parametrize("name", SERVICES)
def test_every_trigger_names_a_group_and_topic_the_service_consumes(
    name: str, consumer_groups: dict[str, dict[str, list[str]]]
) -> None:
    groups = consumer_groups[name]
    bootstrap = by_kind("ConfigMap")["vouchers-config"]["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    assert kafka_triggers(name)
    for trigger in kafka_triggers(name):
        meta = trigger["metadata"]
        assert meta["consumerGroup"] in groups, meta["consumerGroup"]
        assert meta["topic"] in groups[meta["consumerGroup"]]
        assert meta["bootstrapServers"] == bootstrap
        assert int(meta["lagThreshold"]) > 0
        assert meta.get("allowIdleConsumers", "false") == "false"  # no replica beyond a partition
        assert trigger["authenticationRef"]["name"] in by_kind("TriggerAuthentication")


@pytest.mark.parametrize("name", SERVICES)
def test_every_work_group_of_the_service_has_a_trigger_per_topic(
    name: str, consumer_groups: dict[str, dict[str, list[str]]]
) -> None:
    covered = {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in kafka_triggers(name)}
    wanted = {
        (group, topic)
        for group, topics in consumer_groups[name].items()
        if not group.endswith(REFDATA_GROUP_SUFFIX)
        for topic in topics
    }
    assert wanted == covered


@pytest.mark.parametrize("name", SERVICES)
def test_the_scaler_logs_in_as_the_services_do(name: str) -> None:
    data = by_kind("ConfigMap")["vouchers-config"]["data"]
    for trigger in kafka_triggers(name):
        meta = trigger["metadata"]
        assert meta["sasl"] == KEDA_SASL[data["KAFKA_SASL_MECHANISM"]]
        assert meta["tls"] == ("enable" if data["KAFKA_SECURITY_PROTOCOL"].endswith("SSL") else "disable")


@pytest.mark.parametrize("name", SERVICES)
def test_lag_threshold_is_a_replicas_rate_times_the_drain_time(name: str) -> None:
    notes = scaled(name)["metadata"]["annotations"]
    rate, drain = int(notes[RATE]), int(notes[DRAIN])
    for trigger in kafka_triggers(name):
        assert int(trigger["metadata"]["lagThreshold"]) == rate * drain, trigger["name"]
    assert drain >= 2 * scaled(name)["spec"]["pollingInterval"]  # a backlog is seen twice first


def benchmark_figures() -> dict[str, float]:
    """The last benchmark's rates as the README states them."""
    text = (REPO / "README.md").read_text("utf-8").split("## Benchmark", 1)[1].split("\n## ", 1)[0]
    verdicts = re.search(r"reach\s+all\s+three\s+verdicts\s+at\s+([\d.]+)[–-]([\d.]+)\s+per\s+second", text)
    drain = re.search(r"about\s+([\d.]+)\s+applications\s+per\s+second\s+end\s+to\s+end", text)
    assert verdicts, "the README's benchmark figures moved: update this test and keda.yaml"
    assert drain, "the README's benchmark figures moved: update this test and keda.yaml"
    return {"verdicts": float(verdicts[1]), "drain": float(drain[1])}  # the low end: a floor


@pytest.mark.parametrize("name", SERVICES)
def test_a_replicas_rate_is_the_benchmarks_figure(name: str) -> None:
    """When the benchmark is run again and the README's figures change, the thresholds follow."""
    assert int(scaled(name)["metadata"]["annotations"][RATE]) == int(benchmark_figures()[BASIS[name]])


@pytest.mark.parametrize("name", SERVICES)
def test_target_deployment_outlasts_the_graceful_timeout(name: str) -> None:
    data = by_kind("ConfigMap")["vouchers-config"]["data"]
    graceful = float(data.get("GRACEFUL_TIMEOUT_S", CommonSettings().graceful_timeout_s))
    deployment = by_kind("Deployment")[scaled(name)["spec"]["scaleTargetRef"]["name"]]
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > graceful


def test_trigger_authentication_reads_keys_the_operator_provides() -> None:
    (auth,) = by_kind("TriggerAuthentication").values()
    assert unknown_fields(auth, TRIGGER_AUTHENTICATION) == []
    documented = documented_secret_keys()
    refs = auth["spec"]["secretTargetRef"]
    assert {ref["parameter"] for ref in refs} <= KAFKA_AUTH_PARAMETERS
    for ref in refs:
        assert ref["key"] in documented[ref["name"]], ref
    by_parameter = {ref["parameter"]: ref["key"] for ref in refs}
    assert by_parameter["username"] == "KEDA_KAFKA_USERNAME"
    assert by_parameter["password"] == "KEDA_KAFKA_PASSWORD"
