"""deploy/k8s/kafka: each service's Kafka user may do what its code does with Kafka, and no more.

What the code does is read from the services themselves (the groups and topics their consume()
calls subscribe, the topics they declare they publish) and from vouchers_shared.topics; a
subscription, a publisher or a topic added in the code without its ACL fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from vouchers_shared import topics

from tests.deploy.conftest import K8S, OBJECT_META, SERVICES, by_kind, rendered, unknown_fields

TOPIC_CREATOR = "intake"  # the one whose start-up is meant to create the topics
SUITE_PREFIX = "vouchers."
OPERATIONS = {
    "Read",
    "Write",
    "Create",
    "Delete",
    "Alter",
    "Describe",
    "ClusterAction",
    "DescribeConfigs",
    "AlterConfigs",
    "IdempotentWrite",
    "All",
}
KAFKA_USER = {
    "apiVersion": str,
    "kind": str,
    "metadata": OBJECT_META,
    "spec": {
        "authentication": {"type": str},
        "authorization": {
            "type": str,
            "acls": [
                {
                    "resource": {"type": str, "name": str, "patternType": str},
                    "operations": [str],
                    "host": str,
                    "type": str,
                }
            ],
        },
    },
}
Grants = dict[tuple[str, str, str], set[str]]  # (operation, resource type, pattern) -> names


def users() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered("kafka") if d["kind"] == "KafkaUser"}


def grants(user: str) -> Grants:
    found: Grants = {}
    for acl in users()[user]["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        for operation in acl["operations"]:
            key = (operation, resource["type"], resource.get("patternType", "literal"))
            found.setdefault(key, set()).add(resource["name"])
    return found


def literal(user: str, operation: str, kind: str = "topic") -> set[str]:
    return grants(user).get((operation, kind, "literal"), set())


def user_of(service: str) -> str:
    return f"vouchers-{service}"


def reads(use: dict[str, Any]) -> set[str]:
    return {topic for group_topics in use["groups"].values() for topic in group_topics}


def test_there_is_a_user_per_service_one_for_keda_and_one_for_the_command_line() -> None:
    assert set(users()) == {user_of(s) for s in SERVICES} | {"vouchers-keda", "vouchers-ops"}


@pytest.mark.parametrize("name", ["vouchers-keda", "vouchers-ops", *map(user_of, SERVICES)])
def test_users_have_the_shape_strimzi_accepts(name: str) -> None:
    user = users()[name]
    assert (user["apiVersion"], user["kind"]) == ("kafka.strimzi.io/v1beta2", "KafkaUser")
    assert unknown_fields(user, KAFKA_USER) == []
    assert user["metadata"]["labels"]["strimzi.io/cluster"]
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"  # KAFKA_SASL_MECHANISM
    assert user["spec"]["authorization"]["type"] == "simple"
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl["resource"]["type"] in {"topic", "group"}, "no cluster-wide or transactional rights"
        assert acl["resource"]["patternType"] in {"literal", "prefix"}
        assert set(acl["operations"]) <= OPERATIONS - {"All"}
        assert acl.get("type", "allow") == "allow"
        assert acl.get("host", "*") == "*"
        assert "*" not in acl["resource"]["name"]


def test_the_services_sasl_mechanism_is_the_users() -> None:
    config = by_kind("ConfigMap")["vouchers-config"]["data"]
    assert config["KAFKA_SASL_MECHANISM"].lower() == "scram-sha-512"


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_reads_exactly_the_topics_and_groups_its_code_consumes(
    name: str, kafka_use: dict[str, dict[str, Any]]
) -> None:
    use = kafka_use[name]
    assert literal(user_of(name), "Read", "group") == set(use["groups"])
    assert literal(user_of(name), "Read") == reads(use)


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_writes_exactly_its_events_and_the_dead_letters_of_what_it_reads(
    name: str, kafka_use: dict[str, dict[str, Any]]
) -> None:
    use = kafka_use[name]
    parked = {topics.dlq_topic(topic) for topic in reads(use)}  # the processor parks on these
    assert literal(user_of(name), "Write") == set(use["publishes"]) | parked


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_sees_every_topic_of_the_suite_and_only_intake_creates_them(name: str) -> None:
    """Every start-up lists the topics and asks to create those missing (ensure_topics): each
    user sees them all, so once intake has made them nobody else asks."""
    assert all(topic.startswith(SUITE_PREFIX) for topic in topics.ALL_TOPICS)
    granted = grants(user_of(name))
    assert granted[("Describe", "topic", "prefix")] == {SUITE_PREFIX}
    creates = {key: names for key, names in granted.items() if key[0] == "Create"}
    if name == TOPIC_CREATOR:
        assert creates == {("Create", "topic", "prefix"): {SUITE_PREFIX}}
    else:
        assert creates == {}
    assert {key[0] for key in granted} <= {"Describe", "Create", "Read", "Write"}
    assert {key for key in granted if key[2] == "prefix"} <= {
        ("Describe", "topic", "prefix"),
        ("Create", "topic", "prefix"),
    }


def test_keda_describes_exactly_the_groups_its_scaled_objects_watch() -> None:
    watched = {
        t["metadata"]["consumerGroup"]
        for so in by_kind("ScaledObject").values()
        for t in so["spec"]["triggers"]
        if t["type"] == "kafka"
    }
    assert grants("vouchers-keda") == {
        ("Describe", "topic", "prefix"): {SUITE_PREFIX},
        ("Describe", "group", "literal"): watched,
    }


def test_the_command_line_reads_dead_letters_and_writes_back_where_they_came_from() -> None:
    sources = set(topics.EVENT_TOPICS + topics.REFDATA_TOPICS)
    assert grants("vouchers-ops") == {
        ("Describe", "topic", "prefix"): {SUITE_PREFIX},
        ("Read", "topic", "literal"): {topics.dlq_topic(t) for t in sources},  # assigned, no group
        ("Write", "topic", "literal"): sources,  # `dlq replay` and `refdata load`
    }


def readme_rows() -> dict[str, str]:
    text = (K8S / "README.md").read_text("utf-8")
    return {m[1]: m[0] for m in re.finditer(r"^\| `(vouchers-[a-z]+)` \|.*$", text, re.MULTILINE)}


@pytest.mark.parametrize("name", SERVICES)
def test_the_readme_table_names_each_services_groups_and_topics(
    name: str, kafka_use: dict[str, dict[str, Any]]
) -> None:
    row = readme_rows()[user_of(name)]
    use = kafka_use[name]
    for word in [*use["groups"], *reads(use), *use["publishes"]]:
        if not word.endswith(".dlq") and ".refdata." not in word:
            assert f"`{word}`" in row, word
    assert ("creates" in row) == (name == TOPIC_CREATOR)
