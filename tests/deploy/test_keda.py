"""KEDA ScaledObjects: each consumer scales on the lag of the groups its code really uses."""

from __future__ import annotations

from typing import Any

import pytest
from vouchers_shared.settings import CommonSettings

from tests.deploy.conftest import SERVICES, by_kind

REFDATA_GROUP_SUFFIX = "-refdata"  # one compacted snapshot per kind: its lag never calls for replicas


def scaled(name: str) -> dict[str, Any]:
    return by_kind("ScaledObject")[name]


def kafka_triggers(name: str) -> list[dict[str, Any]]:
    return [t for t in scaled(name)["spec"]["triggers"] if t["type"] == "kafka"]


def partitions() -> int:
    data = by_kind("ConfigMap")["vouchers-config"]["data"]
    return int(data.get("KAFKA_TOPIC_PARTITIONS", CommonSettings().kafka_topic_partitions))


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
    wanted = {(group, topic) for group, topics in consumer_groups[name].items()
              if not group.endswith(REFDATA_GROUP_SUFFIX) for topic in topics}
    assert wanted == covered


@pytest.mark.parametrize("name", SERVICES)
def test_target_deployment_outlasts_the_graceful_timeout(name: str) -> None:
    data = by_kind("ConfigMap")["vouchers-config"]["data"]
    graceful = float(data.get("GRACEFUL_TIMEOUT_S", CommonSettings().graceful_timeout_s))
    deployment = by_kind("Deployment")[scaled(name)["spec"]["scaleTargetRef"]["name"]]
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > graceful


def test_trigger_authentication_reads_keys_that_exist() -> None:
    secrets = {name: doc["stringData"] for name, doc in by_kind("Secret").items()}
    for ref in by_kind("TriggerAuthentication")["vouchers-kafka"]["spec"]["secretTargetRef"]:
        assert ref["key"] in secrets[ref["name"]], ref
