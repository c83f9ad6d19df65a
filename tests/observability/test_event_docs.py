"""The AsyncAPI documents (docs/asyncapi) and the OpenAPI of intake and notification
(docs/openapi): current with the apps, valid for the official AsyncAPI parser (npm
`@asyncapi/parser`, installed by `make test-deps`), and true to what the services really publish."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from vouchers_shared import topics
from vouchers_shared.observability.catalog import PUBLISHED_EVENTS, contracts_on

from tests.observability.flow import file_and_wait, new_applicant, register_audit_reports
from tests.support.filing import application
from tests.support.suite import Suite

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
VALIDATOR = REPO / "tests" / "asyncapi"
SERVICES = ("intake", "eligibility", "verification", "notification")
SOURCES = {
    "/vouchers/intake": "intake",
    "/vouchers/refdata": "intake",
    "/vouchers/eligibility": "eligibility",
    "/vouchers/verification": "verification",
    "/vouchers/notification": "notification",
}


def asyncapi(service: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DOCS / "asyncapi" / f"{service}.json").read_text("utf-8"))
    return loaded


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("the AsyncAPI parser is not installed: `make test-deps` runs npm ci in tests/asyncapi")
    return subprocess.run(
        [node, "validate.mjs", *map(str, paths)],
        cwd=VALIDATOR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def operations(document: dict[str, Any], action: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(topic, message) for each operation of `action` ("send" or "receive")."""
    messages = document["components"]["messages"]
    for operation in document["operations"].values():
        if operation["action"] != action:
            continue
        channel = document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[1]]
        for ref in channel["messages"].values():
            yield channel["address"], messages[ref["$ref"].rsplit("/", 1)[1]]


def test_the_committed_documents_are_what_the_apps_generate() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vouchers_shared.observability.docs", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"stale; run `make docs`:\n{result.stderr}"


def test_every_asyncapi_document_passes_the_official_parser() -> None:
    documents = sorted((DOCS / "asyncapi").glob("*.json"))
    assert [p.stem for p in documents] == sorted(SERVICES)
    result = validate(*documents)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("valid AsyncAPI 3.0.0") == len(SERVICES), result.stdout


def test_the_parser_refuses_a_document_with_a_dangling_reference(tmp_path: Path) -> None:
    broken = asyncapi("verification")
    message = next(iter(broken["components"]["messages"].values()))
    message["payload"] = {"$ref": "#/components/schemas/NoSuchEvent"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), "utf-8")
    assert validate(path).returncode != 0


@pytest.mark.parametrize("service", SERVICES)
def test_each_event_message_carries_its_contract_schemas_and_cloudevents_headers(service: str) -> None:
    document = asyncapi(service)
    schemas = document["components"]["schemas"]
    seen = 0
    for action in ("send", "receive"):
        for topic, message in operations(document, action):
            contracts = contracts_on(topic)
            if not contracts:
                assert topic.endswith(".dlq"), topic
                continue
            seen += 1
            payload = message["payload"]
            refs = [r["$ref"] for r in payload.get("oneOf", [payload])]
            assert refs == [f"#/components/schemas/{c.model.__name__}" for c in contracts]
            assert all(ref.rsplit("/", 1)[1] in schemas for ref in refs)
            assert message["headers"]["properties"]["ce_type"]["enum"] == [c.event_type for c in contracts]
            assert set(message["headers"]["required"]) >= {"ce_id", "ce_type", "ce_source", "ce_time"}
    assert seen


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_documents_the_dead_letter_topic_of_everything_it_consumes(service: str) -> None:
    document = asyncapi(service)
    consumed = {t for t, _ in operations(document, "receive")}
    sent = {t for t, _ in operations(document, "send")}
    assert consumed
    assert {topics.dlq_topic(t) for t in consumed} <= sent


def test_the_openapi_of_intake_documents_filing_and_reading() -> None:
    paths = json.loads((DOCS / "openapi" / "intake.json").read_text("utf-8"))["paths"]
    assert {"/v1/applications", "/v1/applications/{application_id}"} <= set(paths)
    assert "post" in paths["/v1/applications"]


def test_what_services_publish_in_a_real_run_is_what_their_documents_say(suite: Suite) -> None:
    uscc = new_applicant()
    register_audit_reports(suite, [uscc])
    file_and_wait(suite, application(uscc))
    # Other tests in the session publish stand-in events under their own sources ("/tests/…");
    # every source the suite's services publish under starts with "/vouchers/" and must be known.
    published = {
        p for p in asyncio.run(_published(suite.infra.kafka_bootstrap)) if p[2].startswith("/vouchers/")
    }
    kinds = {event_type for _, event_type, _ in published}
    assert kinds >= {
        topics.APPLICATION_SUBMITTED,
        topics.COI_ASSESSED,
        topics.ELIGIBILITY_ASSESSED,
        topics.VERIFICATION_COMPLETED,
        topics.CASE_DECIDED,
        topics.REFDATA_LOADED,
    }
    for topic, event_type, source in published:
        service = SOURCES[source]
        documented = {
            (t, e)
            for t, m in operations(asyncapi(service), "send")
            if contracts_on(t)
            for e in m["headers"]["properties"]["ce_type"]["enum"]
        }
        assert (topic, event_type) in documented, f"{service} published {event_type} on {topic}"
        assert event_type in PUBLISHED_EVENTS[service]


async def _published(bootstrap: str) -> set[tuple[str, str, str]]:
    """(topic, ce_type, ce_source) of every record on the event and reference-data topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([*topics.EVENT_TOPICS, *topics.REFDATA_TOPICS])
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], int(p["partition"])) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        found: set[tuple[str, str, str]] = set()
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(*partitions, timeout_ms=1000)).values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if "ce_type" in headers:
                        found.add((record.topic, headers["ce_type"], headers["ce_source"]))
        return found
    finally:
        await consumer.stop()
