"""Every event contract through the real broker, read back with the CloudEvents SDK.

Each event is published the way the services publish (an `Outgoing` keyed by applicant USCC,
subject = application id, through the project's publisher), consumed with aiokafka, and read
by the official `cloudevents` SDK as well as by our own envelope parser. The events go to
copies of the suite's topics (same name with a per-run suffix, same partitions and settings),
so services of a suite running in the same session never receive these invented verdicts.

Last, an application.submitted as a newer producer would send it (a field added in every
object) goes to the suite's own topic, and every consumer handles it as usual.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import kafka as ce_kafka_v1
from eligibility.handlers import SOURCE as ELIGIBILITY_SOURCE
from intake.refdata_loader import build_snapshot, snapshot_event
from intake.submission import submitted_event
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from notification.events_out import SOURCE as NOTIFICATION_SOURCE
from pydantic import BaseModel
from verification.handlers import SOURCE as VERIFICATION_SOURCE
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.events import (
    CaseDecided,
    CoiAssessed,
    ContractCoi,
    ContractVoucher,
    EligibilityAssessed,
    NoticePublished,
    ObjectionRaised,
    ObjectionResolved,
    ReviewPassed,
    VerificationCompleted,
    Voucher,
    VoucherApproved,
)
from vouchers_shared.findings import EvidenceEdge, EvidencePath, Finding, worded
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import decode_headers
from vouchers_shared.messaging.kafka import ensure_topics
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.schemas import EventContract, committed_schema, contracts
from vouchers_shared.settings import CommonSettings
from vouchers_shared.wording import say

from tests.support.events import Record, records_about, send_again
from tests.support.infra import Infra
from tests.support.samples import application_for, lone_serial, make_uscc
from tests.support.suite import Suite, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 5, 20, 10, 0, 0, 123456, tzinfo=SHANGHAI)  # not UTC, with microseconds
RUN = uuid.uuid4().hex[:10]
USCC = make_uscc(lone_serial())
APPLICATION_ID = f"SZV2026-{RUN.upper()}"
PROVIDER_USCC = make_uscc(lone_serial())


def private_topic(topic: str) -> str:
    return f"{topic}.contract-test-{RUN}"


# --- one valid payload per event type, built as the owning service builds it ----------------


def finding(result: str, rule: str = "CON-RELATED-PARTY") -> Finding:
    path = EvidencePath(
        relation="holds",
        summary="申请方持有服务商 35%",
        effective_pct="35.00",
        edges=[
            EvidenceEdge(
                source=USCC, target=PROVIDER_USCC, kind="holding", pct="35.00", origin="refdata:holdings@v1"
            )
        ],
    )
    return Finding(
        rule=rule,
        clause="三(二)",
        result=result,
        contract_no="C-1",
        observed="35.00",
        limit="0",
        **worded(
            say(
                "COI-RELATED-PARTY.related", name="P", uscc=PROVIDER_USCC, paths="applicant —35.00%→ provider"
            )
        ),
        evidence=[path],
    )


def generic(contract: EventContract, source: str, payload: BaseModel) -> Outgoing:
    """How eligibility, verification and notification build what they publish."""
    return Outgoing(
        topic=contract.topics[0],
        key=USCC,
        payload=payload,
        correlation_id=APPLICATION_ID,
        envelope=Envelope.new(contract.event_type, source, APPLICATION_ID, time=AT),
    )


def submitted(contract: EventContract) -> Outgoing:
    application = Application.model_validate(application_for(USCC))
    return submitted_event(application, APPLICATION_ID, AT)


def refdata_loaded(contract: EventContract) -> Outgoing:
    items = [{"uscc": PROVIDER_USCC, "name": "算力服务有限公司", "batch": 2}]
    return snapshot_event(build_snapshot("providers", items, "operator-1", AT))


def coi(contract: EventContract) -> Outgoing:
    payload = CoiAssessed(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        outcome="conflict",
        contracts=[ContractCoi(contract_no="C-1", provider_uscc=PROVIDER_USCC, outcome="conflict")],
        findings=[finding("fail")],
        refdata_versions={"holdings": "v1"},
        assessed_at=AT,
    )
    return generic(contract, ELIGIBILITY_SOURCE, payload)


def eligibility(contract: EventContract) -> Outgoing:
    voucher = Voucher(
        rate=Decimal("0.50"),
        eligible_spend_cny=Decimal("1200000.00"),
        total_cny=Decimal("600000.00"),
        by_contract=[
            ContractVoucher(
                contract_no="C-1", amount_cny=Decimal("1200000.00"), voucher_cny=Decimal("600000.00")
            )
        ],
    )
    payload = EligibilityAssessed(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        outcome="pass",
        findings=[finding("pass", "AMT-MIN-SPEND")],
        voucher=voucher,
        refdata_versions={"providers": "v2"},
        assessed_at=AT,
    )
    return generic(contract, ELIGIBILITY_SOURCE, payload)


def verification(contract: EventContract) -> Outgoing:
    payload = VerificationCompleted(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        outcome="review",
        findings=[finding("review", "MAT-AUDIT-QR")],
        completed_at=AT,
    )
    return generic(contract, VERIFICATION_SOURCE, payload)


def case_decided(contract: EventContract) -> Outgoing:
    payload = CaseDecided(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        status="rejected",
        final=True,
        failed_rules=[finding("fail")],
        reasons=["关联关系"],
        decided_at=AT,
        decided_by="operator-1",
        note="复核后不予立项",
    )
    return generic(contract, NOTIFICATION_SOURCE, payload)


def review_passed(contract: EventContract) -> Outgoing:
    payload = ReviewPassed(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        review_id="rev-1",
        decided_at=AT,
        decided_by="operator-1",
        note="核实无误",
    )
    return generic(contract, NOTIFICATION_SOURCE, payload)


def voucher_approved(contract: EventContract) -> Outgoing:
    payload = VoucherApproved(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        notice_id="N-1",
        approved_on=date(2026, 6, 3),
        total_cny=Decimal("600000.00"),
        approved_at=AT,
    )
    return generic(contract, NOTIFICATION_SOURCE, payload)


def notice_published(contract: EventContract) -> Outgoing:
    payload = NoticePublished(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        notice_id="N-1",
        starts_on=date(2026, 5, 21),
        ends_on=date(2026, 5, 27),
        published_at=AT,
    )
    return generic(contract, NOTIFICATION_SOURCE, payload)


def objection_raised(contract: EventContract) -> Outgoing:
    payload = ObjectionRaised(
        application_id=APPLICATION_ID, applicant_uscc=USCC, notice_id="N-1", objection_id="O-1", raised_at=AT
    )
    return generic(contract, NOTIFICATION_SOURCE, payload)


def objection_resolved(contract: EventContract) -> Outgoing:
    payload = ObjectionResolved(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        notice_id="N-1",
        objection_id="O-1",
        upheld=False,
        resolved_at=AT,
        resolved_by="operator-1",
    )
    return generic(contract, NOTIFICATION_SOURCE, payload)


BUILDERS: dict[str, Callable[[EventContract], Outgoing]] = {
    topics.APPLICATION_SUBMITTED: submitted,
    topics.COI_ASSESSED: coi,
    topics.ELIGIBILITY_ASSESSED: eligibility,
    topics.VERIFICATION_COMPLETED: verification,
    topics.CASE_DECIDED: case_decided,
    topics.REVIEW_PASSED: review_passed,
    topics.VOUCHER_APPROVED: voucher_approved,
    topics.NOTICE_PUBLISHED: notice_published,
    topics.OBJECTION_RAISED: objection_raised,
    topics.OBJECTION_RESOLVED: objection_resolved,
    topics.REFDATA_LOADED: refdata_loaded,
}


# --- publish every contract once, consume them all -----------------------------------------


@dataclass(frozen=True)
class Delivery:
    sent: Outgoing
    record: ConsumerRecord[bytes, bytes]

    def sdk_message(self) -> ce_kafka.KafkaMessage:
        return ce_kafka.KafkaMessage(
            headers=dict(self.record.headers), key=self.record.key, value=self.record.value
        )


@pytest.fixture(scope="module")
async def delivered(infra: Infra) -> dict[str, Delivery]:
    """Each event type's sent event and the record the broker gave back for it."""
    settings = CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)
    sent = {c.event_type: BUILDERS[c.event_type](c) for c in contracts()}
    sent = {t: dataclasses.replace(o, topic=private_topic(o.topic)) for t, o in sent.items()}
    names = tuple(sorted({o.topic for o in sent.values()}))
    await ensure_topics(settings, names)
    async with StandalonePublisher(settings) as publisher:
        for event in sent.values():
            await publisher.publish(event)
    by_id = {o.envelope.id: t for t, o in sent.items()}
    records = await consume_until(infra.kafka_bootstrap, names, set(by_id), within_s=120)
    return {by_id[ce_id]: Delivery(sent[by_id[ce_id]], record) for ce_id, record in records.items()}


async def consume_until(
    bootstrap: str, names: tuple[str, ...], ids: set[str], within_s: float
) -> dict[str, ConsumerRecord[bytes, bytes]]:
    """The records carrying `ids` (by ce_id), read from the start of `names`, within `within_s`."""
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=bootstrap,
        group_id=f"contract-test-{RUN}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[str, ConsumerRecord[bytes, bytes]] = {}
    deadline = asyncio.get_running_loop().time() + within_s
    try:
        while set(found) != ids and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for record in (r for batch in batches.values() for r in batch):
                found[decode_headers(record.headers).get("ce_id", "")] = record
    finally:
        await consumer.stop()
    assert set(found) >= ids, f"not delivered within {within_s}s: {sorted(ids - set(found))}"
    return {ce_id: found[ce_id] for ce_id in ids}


def expected_key(event: Outgoing) -> str:
    """Events are keyed by applicant USCC; a reference-data snapshot by its kind (compaction)."""
    return "providers" if event.envelope.type == topics.REFDATA_LOADED else USCC


def test_every_contract_has_a_sample_event() -> None:
    assert set(BUILDERS) == {c.event_type for c in contracts()}


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_cloudevents_sdk_reads_the_record(delivered: dict[str, Delivery], contract: EventContract) -> None:
    delivery = delivered[contract.event_type]
    envelope = delivery.sent.envelope

    event = ce_kafka.from_binary(delivery.sdk_message(), JSONFormat(), CloudEvent)

    assert event.get_specversion() == "1.0"
    assert event.get_id() == envelope.id
    assert event.get_type() == contract.event_type
    assert event.get_source() == envelope.source
    assert event.get_subject() == envelope.subject
    assert event.get_time() == AT
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("partitionkey") == expected_key(delivery.sent)
    data = event.get_data()
    assert isinstance(data, dict)
    assert contract.model.model_validate(data) == delivery.sent.payload


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_key_subject_and_source_follow_the_contract(
    delivered: dict[str, Delivery], contract: EventContract
) -> None:
    record = delivered[contract.event_type].record
    headers = decode_headers(record.headers)

    assert record.topic == private_topic(contract.topics[0])
    if contract.event_type == topics.REFDATA_LOADED:
        assert (record.key, headers["ce_subject"], headers["ce_source"]) == (
            b"providers",
            "providers",
            "/vouchers/refdata",
        )
    else:
        assert (record.key, headers["ce_subject"]) == (USCC.encode(), APPLICATION_ID)
        assert headers["correlation_id"] == APPLICATION_ID
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_sdk_1x_api_reads_the_record_too(delivered: dict[str, Delivery], contract: EventContract) -> None:
    delivery = delivered[contract.event_type]
    record = delivery.record
    message = ce_kafka_v1.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)

    event = ce_kafka_v1.from_binary(message)

    assert (event["id"], event["type"], event["specversion"]) == (
        delivery.sent.envelope.id,
        contract.event_type,
        "1.0",
    )
    assert (event["source"], event["subject"]) == (
        delivery.sent.envelope.source,
        delivery.sent.envelope.subject,
    )
    assert event["partitionkey"] == expected_key(delivery.sent).encode()
    assert contract.model.model_validate(event.get_data()) == delivery.sent.payload


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_our_envelope_parser_agrees_with_the_sdk(
    delivered: dict[str, Delivery], contract: EventContract
) -> None:
    delivery = delivered[contract.event_type]
    event = ce_kafka.from_binary(delivery.sdk_message(), JSONFormat(), CloudEvent)

    ours = Envelope.from_headers(decode_headers(delivery.record.headers))

    assert ours == delivery.sent.envelope
    assert (ours.id, ours.type, ours.source, ours.subject, ours.time) == (
        event.get_id(),
        event.get_type(),
        event.get_source(),
        event.get_subject(),
        event.get_time(),
    )


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_body_on_the_wire_matches_the_committed_schema(
    delivered: dict[str, Delivery], contract: EventContract
) -> None:
    schema = committed_schema(contract)
    assert schema is not None
    event = ce_kafka.from_binary(delivered[contract.event_type].sdk_message(), JSONFormat(), CloudEvent)

    errors = sorted(Draft202012Validator(schema).iter_errors(event.get_data()), key=str)

    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_one_applicants_events_share_a_partition_number_across_topics(delivered: dict[str, Delivery]) -> None:
    partitions = {d.record.partition for d in delivered.values() if d.record.key == USCC.encode()}

    assert len(partitions) == 1, partitions


# --- a newer producer: fields this version does not know --------------------------------------


def with_added_fields(node: Any) -> Any:
    """The JSON with one more field in every object, however deep: what a producer one step
    ahead sends once it has added an optional field anywhere."""
    if isinstance(node, dict):
        return {**{k: with_added_fields(v) for k, v in node.items()}, "added_later": {"since": "v1.1"}}
    if isinstance(node, list):
        return [with_added_fields(item) for item in node]
    return node


def test_an_application_submitted_with_fields_added_anywhere_is_processed_normally(suite: Suite) -> None:
    uscc = make_uscc(lone_serial())
    application_id = f"SZV2026-NEWER{RUN.upper()}"
    event = submitted_event(
        Application.model_validate(application_for(uscc)), application_id, suite.program_now()
    )
    body = with_added_fields(json.loads(event.body()))
    app = body["application"]
    for place in (body, app, app["applicant"], *app["contracts"], *app["materials"]):
        assert "added_later" in place  # the places a new optional field is likeliest

    send_again(
        suite.infra.kafka_bootstrap,
        Record(topics.APPLICATIONS, uscc, event.headers(), json.dumps(body, ensure_ascii=False).encode()),
    )

    bootstrap = suite.infra.kafka_bootstrap
    for topic, event_type in (
        (topics.COI, topics.COI_ASSESSED),
        (topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED),
        (topics.VERIFICATION, topics.VERIFICATION_COMPLETED),
    ):
        verdicts = wait_for(
            f"{event_type} about the newer application",
            functools.partial(records_about, bootstrap, topic, application_id),
            timeout=120,
        )
        assert [r.type for r in verdicts] == [event_type]

    steps = {"received", "conflict_of_interest_assessed", "eligibility_assessed", "verification_completed"}

    def shown() -> dict[str, Any] | None:
        with suite.client("intake", "auditor") as client:
            response = client.get(f"/v1/applications/{application_id}")
        view: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return view if steps <= {step["event"] for step in view.get("timeline", [])} else None

    view = wait_for("the newer application in the read model", shown, timeout=60)
    assert view["applicant_uscc"] == uscc
    assert view["checks"]["conflict_of_interest"]["outcome"] == "clear"
    assert records_about(bootstrap, topics.dlq_topic(topics.APPLICATIONS), application_id) == []
