"""A rejection letter goes to the applicant: its own people appear in full, anyone else only by
role and label, whatever relation the conflict evidence shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

import pytest
from notification.adapters.mongo_store import NotificationStore, StoredCase
from notification.domain.letters import render_rejection
from notification.handlers import Deps, on_event
from notification_testkit import OPENED, PROVIDER_A, USCC, at, sample_application
from pydantic import BaseModel
from vouchers_shared import topics
from vouchers_shared.events import (
    ApplicationSubmitted,
    CoiAssessed,
    EligibilityAssessed,
    VerificationCompleted,
)
from vouchers_shared.findings import EvidenceEdge, EvidencePath, Finding
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing

OWN = "p-002"  # the applicant's director, declared in its application
STRANGERS = ("p-777", "p-7", "ab12cd34ef56")


def edge(source: str, target: str, kind: str, pct: str | None = None) -> EvidenceEdge:
    return EvidenceEdge(source=source, target=target, kind=kind, pct=pct, origin="refdata:officers@o1")


PATHS = {
    "shared officer": EvidencePath(
        relation="shared_officer",
        summary="applicant ←director— p-777 —director→ provider",
        edges=[edge("p-777", USCC, "director"), edge("p-777", PROVIDER_A, "director")],
    ),
    "own officer at the provider": EvidencePath(
        relation="shared_officer",
        summary=f"applicant ←director— {OWN} —supervisor→ provider",
        edges=[edge(OWN, USCC, "director"), edge(OWN, PROVIDER_A, "supervisor")],
    ),
    "common holder": EvidencePath(
        relation="common_holder",
        effective_pct="30.00",
        summary="applicant ←30.00%— ab12cd34ef56 —30.00%→ provider",
        edges=[
            edge("ab12cd34ef56", USCC, "holding", "30.00"),
            edge("ab12cd34ef56", PROVIDER_A, "holding", "30.00"),
        ],
    ),
    "staff at the provider": EvidencePath(
        relation="shared_officer",
        summary="applicant ←senior_manager— p-7 —employee→ provider",
        edges=[edge("p-7", USCC, "senior_manager"), edge("p-7", PROVIDER_A, "employee")],
    ),
}


def conflict(paths: Sequence[EvidencePath]) -> Finding:
    shown = "; ".join(p.summary for p in paths)
    return Finding(
        rule="COI-RELATED-PARTY",
        clause="三(一)2",
        result="fail",
        contract_no="SZ-HT-2026-0001",
        observed="shared_officer",
        limit="20.00% within 4 holding links",
        message=f"服务机构是申请单位的关联方，不属于非关联方：{shown}",
        message_en=f"the provider is a related party of the applicant: {shown}",
        evidence=list(paths),
    )


def mentions(text: str, person: str) -> bool:
    return any(
        not (text[i - 1 : i].isalnum() or text[i + len(person) : i + len(person) + 1].isalnum())
        for i in range(len(text))
        if text.startswith(person, i)
    )


@pytest.mark.parametrize("name", PATHS)
def test_the_letter_shows_evidence_as_the_applicant_may_read_it(name: str) -> None:
    path = PATHS[name]
    letter = render_rejection(
        decision_id="d-1",
        application_id="APP-1",
        applicant_name="申请单位",
        project_title="训练",
        failed_rules=[conflict([path])],
        reasons=["利益冲突审查未通过"],
        decided_on=date(2026, 6, 1),
        to="a@example.cn",
        own_people={OWN, "p-001"},
    )

    people = {e.source for e in path.edges}
    for body in (letter.text, letter.html):
        for person in people - {OWN}:
            assert not mentions(body, person)
            assert "自然人1" in body
        if OWN in people:
            assert mentions(body, OWN)


class FakeStore:
    """The few store calls a case's handling makes, in memory."""

    def __init__(self) -> None:
        self.cases: dict[str, StoredCase] = {}
        self.letters: list[dict[str, Any]] = []

    async def load(self, application_id: str) -> StoredCase | None:
        return self.cases.get(application_id)

    async def save(self, stored: StoredCase) -> None:
        self.cases[stored.case.application_id] = stored

    async def hand_over_letters(self, docs: list[dict[str, Any]]) -> None:
        self.letters.extend(docs)


class NoPublisher:
    async def publish(self, event: Outgoing) -> None:
        return None


def inbound(event_type: str, payload: BaseModel, minutes: int) -> Inbound:
    envelope = Envelope.new(event_type, "/tests", "APP-1", time=at(minutes))
    return Inbound("t", 0, minutes, USCC, envelope.headers(), payload.model_dump_json().encode(), envelope)


class Clock:
    def now(self) -> Any:
        return at(60)

    def today(self) -> date:
        return at(60).date()


async def test_the_rejection_letter_a_case_sends_masks_other_people() -> None:
    store = FakeStore()
    deps = Deps(cast(NotificationStore, store), Clock(), timedelta(hours=6), NoPublisher())
    finding = conflict(list(PATHS.values()))
    ids = {"application_id": "APP-1", "applicant_uscc": USCC}
    events = [
        (
            topics.APPLICATION_SUBMITTED,
            ApplicationSubmitted(**ids, submitted_at=OPENED, application=sample_application()),
        ),
        (
            topics.COI_ASSESSED,
            CoiAssessed(**ids, outcome="conflict", contracts=[], findings=[finding], assessed_at=at(1)),
        ),
        (
            topics.ELIGIBILITY_ASSESSED,
            EligibilityAssessed(**ids, outcome="fail", findings=[finding], assessed_at=at(2)),
        ),
        (
            topics.VERIFICATION_COMPLETED,
            VerificationCompleted(**ids, outcome="verified", findings=[], completed_at=at(3)),
        ),
    ]
    for minutes, (event_type, payload) in enumerate(events):
        await on_event(inbound(event_type, payload, minutes), deps)

    (doc,) = store.letters
    letter = doc["letter"]
    assert letter["kind"] == "rejection"
    for body in (letter["text"], letter["html"]):
        for person in STRANGERS:
            assert not mentions(body, person), person
        assert mentions(body, OWN)
        assert "自然人3" in body
