"""Every event is read whatever fields a newer producer added to it, at any depth, while an
application sent to intake over HTTP still may not carry one field it does not know."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.events import (
    ApplicationSubmitted,
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
    tolerant,
)
from vouchers_shared.findings import EvidenceEdge, EvidencePath, Finding
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.refdata import Snapshot
from vouchers_shared.schema_compat import incompatibilities
from vouchers_shared.schemas import committed_schema, contracts, event_models

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "sample" / "applications" / "approvable.json"
AT = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
USCC, PROVIDER = "91440305MA5K000134", "91440306MA5K00003H"
IDS = {"application_id": "SZV2026-3F9A2C", "applicant_uscc": USCC}
ADDED = "added_by_a_newer_producer"


def application() -> Application:
    return Application.model_validate(json.loads(SAMPLE.read_text("utf-8"))["application"])


def finding(result: str = "fail") -> Finding:
    edge = EvidenceEdge(source="p-7", target=PROVIDER, kind="director", origin="refdata:officers@o1")
    path = EvidencePath(
        relation="shared_officer", summary="applicant ←director— p-7 —director→ provider", edges=[edge]
    )
    return Finding(
        rule="COI-RELATED-PARTY",
        clause="三(一)2",
        result=result,
        contract_no="HT-1",  # type: ignore[arg-type]
        message="关联方",
        message_en="related party",
        evidence=[path],
    )


VOUCHER = Voucher(
    rate=Decimal("0.50"),
    eligible_spend_cny=Decimal("1200000.00"),
    total_cny=Decimal("600000.00"),
    by_contract=[
        ContractVoucher(
            contract_no="HT-1", amount_cny=Decimal("1200000.00"), voucher_cny=Decimal("600000.00")
        )
    ],
)
SAMPLES: dict[str, BaseModel] = {
    topics.APPLICATION_SUBMITTED: ApplicationSubmitted(**IDS, submitted_at=AT, application=application()),
    topics.COI_ASSESSED: CoiAssessed(
        **IDS,
        outcome="conflict",
        contracts=[ContractCoi(contract_no="HT-1", provider_uscc=PROVIDER, outcome="conflict")],
        findings=[finding()],
        refdata_versions={"officers": "o1"},
        assessed_at=AT,
    ),
    topics.ELIGIBILITY_ASSESSED: EligibilityAssessed(
        **IDS, outcome="pass", findings=[finding("pass")], voucher=VOUCHER, assessed_at=AT
    ),
    topics.VERIFICATION_COMPLETED: VerificationCompleted(
        **IDS, outcome="review", findings=[finding("review")], completed_at=AT
    ),
    topics.CASE_DECIDED: CaseDecided(
        **IDS, status="rejected", final=True, failed_rules=[finding()], reasons=["关联关系"], decided_at=AT
    ),
    topics.REVIEW_PASSED: ReviewPassed(
        **IDS, review_id="dec-1", decided_at=AT, decided_by="op-1", note="核实无误"
    ),
    topics.VOUCHER_APPROVED: VoucherApproved(
        **IDS, notice_id="N-1", approved_on=date(2026, 6, 3), total_cny=Decimal("600000.00"), approved_at=AT
    ),
    topics.NOTICE_PUBLISHED: NoticePublished(
        **IDS, notice_id="N-1", starts_on=date(2026, 5, 21), ends_on=date(2026, 5, 27), published_at=AT
    ),
    topics.OBJECTION_RAISED: ObjectionRaised(**IDS, notice_id="N-1", objection_id="O-1", raised_at=AT),
    topics.OBJECTION_RESOLVED: ObjectionResolved(
        **IDS, notice_id="N-1", objection_id="O-1", upheld=False, resolved_at=AT, resolved_by="operator-1"
    ),
    topics.REFDATA_LOADED: Snapshot(
        kind="holdings",
        version="v1",
        loaded_at=AT,
        loaded_by="operator-1",
        items=[{"holder_id": "p-7", "holder_kind": "person", "held_uscc": USCC, "pct": "35.00"}],
    ),
}


MAPS = frozenset({"refdata_versions", "args"})  # maps whose keys are data, not fields


def with_added_fields(node: Any, *, is_map: bool = False) -> Any:
    """The JSON with one more field in every object, however deep (lists of objects too)."""
    if isinstance(node, dict):
        inner = {k: with_added_fields(v, is_map=k in MAPS) for k, v in node.items()}
        return inner if is_map else {**inner, ADDED: {"nested": [1, "x"]}}
    if isinstance(node, list):
        return [with_added_fields(item) for item in node]
    return node


def read_back(model: type[BaseModel], parsed: BaseModel) -> Any:
    """What a consumer takes from an event: a snapshot's items are read through their models."""
    if isinstance(parsed, Snapshot):
        return parsed.model_copy(update={"items": [i.model_dump(mode="json") for i in parsed.parsed()]})
    return parsed


def inbound(event_type: str, body: Any) -> Inbound:
    envelope = Envelope.new(event_type, "/vouchers/newer", "SZV2026-3F9A2C", time=AT)
    raw = json.dumps(body, ensure_ascii=False).encode()
    return Inbound("t", 0, 0, USCC, envelope.headers(), raw, envelope)


def test_every_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(event_models())


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_a_consumer_reads_an_event_with_fields_added_at_every_level(event_type: str) -> None:
    model, sample = event_models()[event_type], SAMPLES[event_type]
    newer = with_added_fields(sample.model_dump(mode="json"))

    assert read_back(model, inbound(event_type, newer).parse(model)) == sample


@pytest.mark.parametrize(
    "where",
    [
        "top",
        "application",
        "application.applicant",
        "contracts[]",
        "materials[]",
        "applicant.legal_representative",
        "project.members[]",
    ],
)
def test_application_submitted_is_read_with_a_field_added_in_one_place(where: str) -> None:
    sample = SAMPLES[topics.APPLICATION_SUBMITTED]
    body = sample.model_dump(mode="json")
    app = body["application"]
    target = {
        "top": [body],
        "application": [app],
        "application.applicant": [app["applicant"]],
        "contracts[]": app["contracts"],
        "materials[]": app["materials"],
        "applicant.legal_representative": [app["applicant"]["legal_representative"]],
        "project.members[]": app["project"]["members"],
    }[where]
    assert target
    for node in target:
        node["wechat_id"] = "optional, added later"

    assert inbound(topics.APPLICATION_SUBMITTED, body).parse(ApplicationSubmitted) == sample


def test_the_reference_data_in_a_newer_snapshot_is_read_too() -> None:
    newer = with_added_fields(SAMPLES[topics.REFDATA_LOADED].model_dump(mode="json"))
    snapshot = Snapshot.model_validate(newer)

    (item,) = snapshot.parsed()
    assert item.model_dump(mode="json") == {
        "holder_id": "p-7",
        "holder_kind": "person",
        "held_uscc": USCC,
        "pct": "35.00",
    }


def test_a_stored_copy_written_by_a_newer_replica_is_read() -> None:
    stored = with_added_fields(application().model_dump(mode="json"))
    assert tolerant(Application, stored) == application()


def test_what_intake_is_sent_stays_strict_at_every_level() -> None:
    filed = application().model_dump(mode="json")
    for path in (("applicant",), ("applicant", "contact"), ("project", "lead")):
        changed = copy.deepcopy(filed)
        node = changed
        for key in path:
            node = node[key]
        node["wechat_id"] = "x"
        with pytest.raises(ValidationError, match="wechat_id"):
            Application.model_validate(changed)
    for listed in ("contracts", "materials"):
        changed = copy.deepcopy(filed)
        changed[listed][0]["wechat_id"] = "x"
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            Application.model_validate(changed)


def test_a_missing_required_field_still_makes_an_event_poison() -> None:
    body = SAMPLES[topics.APPLICATION_SUBMITTED].model_dump(mode="json")
    del body["application"]["applicant"]["uscc"]
    with pytest.raises(Exception, match="does not match its schema"):
        inbound(topics.APPLICATION_SUBMITTED, body).parse(ApplicationSubmitted)


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_a_producer_may_add_an_optional_field_anywhere_in_an_event(contract: Any) -> None:
    schema = committed_schema(contract)
    assert schema is not None
    changed = json.loads(json.dumps(schema))
    objects = [s for s in [changed, *changed.get("$defs", {}).values()] if "properties" in s]
    for obj in objects:
        obj["properties"][ADDED] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}

    assert incompatibilities(schema, changed) == []
