"""GET /v1/applications[/{id}] as each role reads it: an applicant sees its own people in full
and other people only by role and label; operators and auditors see the evidence whole."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from intake.domain.status import StatusView, apply_event
from intake.views import render
from vouchers_shared import topics
from vouchers_shared.auth import Principal

T0 = datetime.fromisoformat("2026-05-20T10:00:00+08:00")
APPLICANT, PROVIDER = "91440305MA5K000134", "91440306MA5K00003H"
OWN = ("lr-own", "officer-own", "holder-own", "lead-own", "member-own")
STRANGERS = ("p-7", "p-77", "9f86d081884c7d65")


def submitted() -> dict[str, Any]:
    staff = {"qualification": "masters", "full_time_in_shenzhen": True}
    return {
        "application_id": "A1",
        "applicant_uscc": APPLICANT,
        "submitted_at": T0.isoformat(),
        "application": {
            "program_year": 2026,
            "applicant": {
                "name": "申请单位",
                "uscc": APPLICANT,
                "legal_representative": {"person_id": "lr-own", "name": "张三"},
                "officers": [{"person_id": "officer-own", "name": "李四", "role": "director"}],
                "shareholders": [
                    {"holder_id": "holder-own", "kind": "person", "name": "王五", "pct": "30.00"},
                    {"holder_id": PROVIDER, "kind": "company", "name": "某公司", "pct": "5.00"},
                ],
            },
            "project": {
                "title": "训练",
                "lead": {"person_id": "lead-own", "name": "赵六", **staff},
                "members": [{"person_id": "member-own", "name": "钱七", **staff}],
            },
        },
    }


def edge(source: str, target: str, kind: str, origin: str = "refdata:officers@o1") -> dict[str, Any]:
    return {"source": source, "target": target, "kind": kind, "pct": None, "origin": origin}


def path(person: str, left: str, right: str) -> dict[str, Any]:
    return {
        "relation": "shared_officer",
        "effective_pct": None,
        "summary": f"applicant ←{left}— {person} —{right}→ provider",
        "edges": [edge(person, APPLICANT, left), edge(person, PROVIDER, right)],
    }


def coi() -> dict[str, Any]:
    paths = [
        path("p-7", "director", "supervisor"),
        path("officer-own", "director", "director"),
        path("p-77", "supervisor", "legal_representative"),
        {
            "relation": "common_holder",
            "effective_pct": "30.00",
            "summary": "applicant ←30.00%— 9f86d081884c7d65 —30.00%→ provider",
            "edges": [
                {**edge("9f86d081884c7d65", APPLICANT, "holding"), "pct": "30.00"},
                {**edge("9f86d081884c7d65", PROVIDER, "holding"), "pct": "30.00"},
            ],
        },
    ]
    shown = "; ".join(p["summary"] for p in paths)
    finding = {
        "rule": "COI-RELATED-PARTY",
        "clause": "三(一)2",
        "result": "fail",
        "contract_no": "HT-1",
        "observed": "shared_officer, common_holder",
        "limit": "20.00% within 4 holding links",
        "message": f"服务机构是申请单位的关联方：{shown}",
        "message_en": f"related party: {shown}; first reported for p-77.",
        "evidence": paths,
        "passed": False,
    }
    return {
        "application_id": "A1",
        "applicant_uscc": APPLICANT,
        "outcome": "conflict",
        "contracts": [],
        "findings": [finding],
        "refdata_versions": {"officers": "o1"},
    }


def view(order: tuple[str, ...] = ("submitted", "coi")) -> StatusView:
    folded = StatusView(application_id="A1")
    events = {"submitted": (topics.APPLICATION_SUBMITTED, submitted()), "coi": (topics.COI_ASSESSED, coi())}
    for n, name in enumerate(order):
        kind, body = events[name]
        folded = apply_event(folded, f"e{n}", kind, T0, body)
    return folded


def read(as_: Principal, folded: StatusView | None = None) -> str:
    return json.dumps(render(folded or view(), date(2026, 5, 21), as_), ensure_ascii=False)


def mentions(text: str, person: str) -> bool:
    return any(
        not (text[i - 1 : i].isalnum() or text[i + len(person) : i + len(person) + 1].isalnum())
        for i in range(len(text))
        if text.startswith(person, i)
    )


SUBMITTER = Principal(role="submitter", subject="submitter:x", uscc=APPLICANT)


def test_the_read_model_keeps_the_people_the_application_declares() -> None:
    assert sorted(view().people) == sorted(OWN)


def test_the_applicant_sees_no_other_persons_id_anywhere() -> None:
    shown = read(SUBMITTER)

    for person in STRANGERS:
        assert not mentions(shown, person), person
    assert mentions(shown, "officer-own")


def test_the_applicant_sees_each_other_person_by_role_and_one_label() -> None:
    finding = json.loads(read(SUBMITTER))["checks"]["conflict_of_interest"]["findings"][0]

    sources = [[e["source"] for e in p["edges"]] for p in finding["evidence"]]
    kinds = [[e["kind"] for e in p["edges"]] for p in finding["evidence"]]
    assert sources == [["person-1"] * 2, ["officer-own"] * 2, ["person-2"] * 2, ["person-3"] * 2]
    assert kinds[0] == ["director", "supervisor"]
    assert "applicant ←director— person-1 —supervisor→ provider" in finding["message_en"]
    assert "applicant ←director— 自然人1 —supervisor→ provider" in finding["message"]
    assert "自然人2" in finding["message"]
    assert "自然人3" in finding["message"]


def test_a_verdict_read_before_the_submission_masks_everyone_until_it_arrives() -> None:
    early = apply_event(StatusView(application_id="A1"), "e1", topics.COI_ASSESSED, T0, coi())

    assert not mentions(read(SUBMITTER, early), "officer-own")
    assert mentions(read(SUBMITTER, view(("coi", "submitted"))), "officer-own")


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_operators_and_auditors_see_the_evidence_whole(role: str) -> None:
    shown = read(Principal.model_validate({"role": role, "subject": role}))

    for person in (*STRANGERS, "officer-own"):
        assert mentions(shown, person)
    assert "person-1" not in shown
