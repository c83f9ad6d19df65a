"""Related parties through people, the same-entity rule, unknown providers and the verdict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from eligibility.domain.coi import ReferenceGraph, assess_conflicts
from stdnum.cn.uscc import calc_check_digit
from vouchers_shared.application import Application, OfficerRole
from vouchers_shared.events import CoiAssessed
from vouchers_shared.findings import Finding
from vouchers_shared.refdata import HoldingItem, OfficerItem


def uscc(n: int) -> str:
    body = f"91440300MA{n:07d}"
    return body + calc_check_digit(body)


APPLICANT, PROVIDER, OTHER, UNKNOWN = uscc(1), uscc(2), uscc(3), uscc(4)
WHEN = datetime(2026, 5, 20, 10, tzinfo=timezone(timedelta(hours=8)))
VERSIONS = {"holdings": "h1", "officers": "o1", "providers": "p1"}


def officer(person_id: str, company: str, role: OfficerRole) -> OfficerItem:
    return OfficerItem(person_id=person_id, company_uscc=company, role=role)


def application(
    providers: Sequence[str] = (PROVIDER,),
    officers: Iterable[tuple[str, str]] = (),
    shareholders: Iterable[tuple[str, str]] = (),
) -> Application:
    staff: dict[str, Any] = {"name": "某人", "qualification": "masters", "full_time_in_shenzhen": True}
    return Application.model_validate(
        {
            "program_year": 2026,
            "applicant": {
                "name": "申请单位", "uscc": APPLICANT, "org_type": "enterprise",
                "independent_legal_person": True, "public_institution": False,
                "registered_on": "2020-01-01", "registered_district": "南山区",
                "legal_representative": {"person_id": "lr-applicant", "name": "法人"},
                "officers": [{"person_id": p, "name": "高管", "role": r} for p, r in officers],
                "shareholders": [
                    {"holder_id": h, "kind": "company", "name": "股东", "pct": p}
                    for h, p in shareholders
                ],
                "contact": {"name": "联系人", "email": "a@example.cn", "mobile": "13800000000"},
            },
            "project": {
                "title": "训练", "ethics_or_safety_involved": False,
                "lead": {"person_id": "lead", **staff},
                "members": [{"person_id": "member-1", **staff}, {"person_id": "member-2", **staff}],
            },
            "contracts": [{
                "contract_no": f"HT-{i}", "provider_uscc": p, "provider_name": "服务商",
                "signed_on": "2026-01-15", "service_start": "2026-02-01",
                "service_end": "2026-10-31", "amount_cny": "1000000.00",
                "service_type": "training", "training_kind": "sft", "description": "训练",
            } for i, p in enumerate(providers, 1)],
            "declarations": {"self_filed": True, "filed_by_project_lead": True, "truthful": True},
        }
    )  # fmt: skip


def assess(
    app: Application,
    officers: Iterable[OfficerItem] = (),
    holdings: Iterable[HoldingItem] = (),
    registered: frozenset[str] = frozenset({PROVIDER, OTHER}),
) -> CoiAssessed:
    return assess_conflicts(
        app,
        application_id="app-1",
        graph=ReferenceGraph.build(list(holdings), list(officers), VERSIONS),
        registered_providers=registered,
        threshold_pct=Decimal("20"),
        max_hops=4,
        assessed_at=WHEN,
    )


def findings(result: CoiAssessed, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


def only_path(result: CoiAssessed) -> Any:
    (finding,) = findings(result, "COI-RELATED-PARTY")
    (path,) = finding.evidence
    return path


@pytest.mark.parametrize("role", ["legal_representative", "director", "supervisor", "senior_manager"])
def test_an_officer_of_both_makes_them_related(role: OfficerRole) -> None:
    result = assess(application(), [officer("p-7", APPLICANT, role), officer("p-7", PROVIDER, role)])
    assert result.outcome == "conflict"
    assert only_path(result).relation == "shared_officer"


def test_a_director_of_one_who_is_supervisor_of_the_other_is_shared() -> None:
    result = assess(
        application(), [officer("p-7", APPLICANT, "director"), officer("p-7", PROVIDER, "supervisor")]
    )
    assert only_path(result).summary == "applicant ←director— p-7 —supervisor→ provider"


def test_a_shared_legal_representative_counts_across_application_and_snapshot() -> None:
    result = assess(application(), [officer("lr-applicant", PROVIDER, "legal_representative")])
    path = only_path(result)
    assert result.outcome == "conflict"
    assert [(e.kind, e.origin) for e in path.edges] == [
        ("legal_representative", "application:app-1"),
        ("legal_representative", "refdata:officers@o1"),
    ]


def test_an_officer_declared_by_the_application_counts() -> None:
    app = application(officers=[("p-8", "senior_manager")])
    assert assess(app, [officer("p-8", PROVIDER, "director")]).outcome == "conflict"


def test_an_ordinary_employee_of_both_does_not_relate_them() -> None:
    result = assess(
        application(), [officer("p-7", APPLICANT, "employee"), officer("p-7", PROVIDER, "employee")]
    )
    assert result.outcome == "clear"


def test_a_project_lead_employed_by_the_provider_makes_them_related() -> None:
    path = only_path(assess(application(), [officer("lead", PROVIDER, "employee")]))
    assert path.relation == "staff_at_provider"
    assert path.summary == "applicant ←employee— lead —employee→ provider"
    assert [e.origin for e in path.edges] == ["application:app-1", "refdata:officers@o1"]


def test_a_key_member_who_is_a_director_of_the_provider_makes_them_related() -> None:
    result = assess(application(), [officer("member-2", PROVIDER, "director")])
    assert result.outcome == "conflict"
    assert only_path(result).summary == "applicant ←employee— member-2 —director→ provider"


def test_staff_of_another_company_do_not_matter() -> None:
    assert assess(application(), [officer("lead", OTHER, "director")]).outcome == "clear"


def test_a_provider_that_is_the_applicant_itself_is_a_conflict() -> None:
    result = assess(application([APPLICANT]), registered=frozenset({APPLICANT}))
    (same,) = findings(result, "COI-SAME-ENTITY")
    assert (result.outcome, same.result, same.clause) == ("conflict", "fail", "三(一)2")
    assert findings(result, "COI-RELATED-PARTY") == []


def test_every_contract_gets_a_finding_for_each_rule_passed_ones_too() -> None:
    result = assess(application([PROVIDER, OTHER]), [officer("x", PROVIDER, "employee")])
    assert [(f.rule, f.contract_no, f.result, f.evidence) for f in result.findings] == [
        ("COI-SAME-ENTITY", "HT-1", "pass", []),
        ("COI-RELATED-PARTY", "HT-1", "pass", []),
        ("COI-SAME-ENTITY", "HT-2", "pass", []),
        ("COI-RELATED-PARTY", "HT-2", "pass", []),
    ]
    assert all(f.message and f.message_en for f in result.findings)


def test_a_provider_nothing_is_known_about_is_held_for_review() -> None:
    result = assess(application([UNKNOWN]))
    (related,) = findings(result, "COI-RELATED-PARTY")
    assert (result.outcome, related.result) == ("review", "review")


def test_a_registered_provider_without_holders_or_officers_on_file_is_clear() -> None:
    assert assess(application([UNKNOWN]), registered=frozenset({UNKNOWN})).outcome == "clear"


def test_an_unregistered_provider_with_data_on_file_is_assessed() -> None:
    app = application([UNKNOWN])
    assert assess(app, [officer("x", UNKNOWN, "director")]).outcome == "clear"
    assert assess(app, [officer("lead", UNKNOWN, "director")]).outcome == "conflict"


def test_a_provider_the_application_itself_names_is_not_unknown() -> None:
    app = application([UNKNOWN], shareholders=[(UNKNOWN, "5.00")])
    assert assess(app).outcome == "clear"
    app = application([UNKNOWN], shareholders=[(UNKNOWN, "20.00")])
    assert assess(app).outcome == "conflict"


@pytest.mark.parametrize(
    ("providers", "outcome", "per_contract"),
    [
        ((PROVIDER, UNKNOWN), "review", ["clear", "review"]),
        ((UNKNOWN, APPLICANT, PROVIDER), "conflict", ["review", "conflict", "clear"]),
        ((PROVIDER, OTHER), "clear", ["clear", "clear"]),
    ],
)
def test_the_outcome_is_conflict_before_review_before_clear(
    providers: tuple[str, ...], outcome: str, per_contract: list[str]
) -> None:
    result = assess(application(providers))
    assert result.outcome == outcome
    assert [c.outcome for c in result.contracts] == per_contract
    assert [c.provider_uscc for c in result.contracts] == list(providers)


def test_the_assessment_names_the_snapshots_it_used() -> None:
    result = assess(application())
    assert result.refdata_versions == VERSIONS
    assert (result.application_id, result.applicant_uscc, result.assessed_at) == (
        "app-1",
        APPLICANT,
        WHEN,
    )
