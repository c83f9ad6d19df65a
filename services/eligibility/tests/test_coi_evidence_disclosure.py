"""What the applicant is shown of real conflict evidence: its own people in full, anyone else
by role and a numbered label, never a person id; the event itself keeps the evidence whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from eligibility.domain.coi import ReferenceGraph, assess_conflicts
from eligibility_testkit import APPLICANT, PROVIDER_1, application, make_uscc
from vouchers_shared.application import Application
from vouchers_shared.disclosure import PeopleMask, declared_people
from vouchers_shared.events import CoiAssessed
from vouchers_shared.refdata import HoldingItem, OfficerItem

WHEN = datetime(2026, 5, 20, 10, tzinfo=timezone(timedelta(hours=8)))
VERSIONS = {"holdings": "h1", "officers": "o1"}
MIDDLE = make_uscc("440306", 77)  # a company between the holder and the two parties


@dataclass(frozen=True)
class Case:
    officers: tuple[OfficerItem, ...] = ()
    holdings: tuple[HoldingItem, ...] = ()
    own_officers: tuple[tuple[str, str], ...] = ()  # (person id, role) the application declares
    strangers: tuple[str, ...] = ()  # person ids the applicant must not see
    own: tuple[str, ...] = ()  # the applicant's own people that the evidence names


def at(person: str, company: str, role: str) -> OfficerItem:
    return OfficerItem.model_validate({"person_id": person, "company_uscc": company, "role": role})


def holds(holder: str, held: str, pct: str, kind: str = "person") -> HoldingItem:
    return HoldingItem.model_validate(
        {"holder_id": holder, "holder_kind": kind, "held_uscc": held, "pct": pct}
    )


CASES = {
    "a director of both": Case(
        officers=(at("p-7", APPLICANT, "director"), at("p-7", PROVIDER_1, "director")), strangers=("p-7",)
    ),
    "a person holding both": Case(
        holdings=(holds("h-9f3a", APPLICANT, "35.00"), holds("h-9f3a", PROVIDER_1, "40.00")),
        strangers=("h-9f3a",),
    ),
    "a person holding both through a company": Case(
        holdings=(
            holds("h-2", MIDDLE, "80.00"),
            holds(MIDDLE, APPLICANT, "50.00", "company"),
            holds(MIDDLE, PROVIDER_1, "50.00", "company"),
        ),
        strangers=("h-2",),
    ),
    "ids nested in one another": Case(
        officers=(
            at("p-1", APPLICANT, "supervisor"),
            at("p-1", PROVIDER_1, "director"),
            at("p-12", APPLICANT, "senior_manager"),
            at("p-12", PROVIDER_1, "legal_representative"),
        ),
        strangers=("p-1", "p-12"),
    ),
    "the applicant's own legal representative at the provider": Case(
        officers=(at("lr-1", PROVIDER_1, "legal_representative"),), own=("lr-1",)
    ),
    "the applicant's own project lead employed by the provider": Case(
        officers=(at("lead-1", PROVIDER_1, "employee"),), own=("lead-1",)
    ),
    "an own officer and a stranger on the provider's board": Case(
        own_officers=(("o-1", "director"),),
        officers=(
            at("o-1", PROVIDER_1, "director"),
            at("x-5", APPLICANT, "director"),
            at("x-5", PROVIDER_1, "supervisor"),
        ),
        strangers=("x-5",),
        own=("o-1",),
    ),
}


def assessed(case: Case) -> tuple[Application, CoiAssessed]:
    app = application(
        applicant={"officers": [{"person_id": p, "name": "高管", "role": r} for p, r in case.own_officers]}
    )
    result = assess_conflicts(
        app,
        application_id="app-1",
        graph=ReferenceGraph.build(list(case.holdings), list(case.officers), VERSIONS),
        registered_providers=frozenset({PROVIDER_1}),
        threshold_pct=Decimal("20"),
        max_hops=4,
        assessed_at=WHEN,
    )
    assert result.outcome == "conflict"
    return app, result


def as_applicant(app: Application, result: CoiAssessed) -> str:
    own = declared_people(app.model_dump(mode="json"))
    shown = PeopleMask(own).findings(f.model_dump(mode="json") for f in result.findings)
    return json.dumps(shown, ensure_ascii=False)


def mentions(text: str, person: str) -> bool:
    return any(
        not (text[i - 1 : i].isalnum() or text[i + len(person) : i + len(person) + 1].isalnum())
        for i in range(len(text))
        if text.startswith(person, i)
    )


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_applicant_never_sees_another_persons_id(case: Case) -> None:
    app, result = assessed(case)
    event = result.model_dump_json()

    shown = as_applicant(app, result)

    for person in case.strangers:
        assert mentions(event, person)  # the event keeps the evidence whole
        assert not mentions(shown, person), person
    for person in case.own:
        assert mentions(shown, person)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_masked_person_keeps_its_role_and_one_label_throughout(case: Case) -> None:
    app, result = assessed(case)
    own = declared_people(app.model_dump(mode="json"))
    (shown,) = [
        f
        for f in PeopleMask(own).findings(f.model_dump(mode="json") for f in result.findings)
        if f["rule"] == "COI-RELATED-PARTY"
    ]
    (full,) = [f for f in result.findings if f.rule == "COI-RELATED-PARTY"]

    kinds = [[e["kind"] for e in p["edges"]] for p in shown["evidence"]]
    assert kinds == [[e.kind for e in p.edges] for p in full.evidence]
    labels = {e["source"] for p in shown["evidence"] for e in p["edges"] if e["source"].startswith("person-")}
    assert len(labels) == len(case.strangers)
    for label in labels:
        number = label.removeprefix("person-")
        assert label in shown["message_en"]
        assert f"自然人{number}" in shown["message"]
