"""Related parties through holdings (三(一)2 非关联方): thresholds, chains, hops, cycles."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

import pytest
from eligibility.domain.coi import ReferenceGraph, assess_conflicts
from stdnum.cn.uscc import calc_check_digit
from vouchers_shared.application import Application
from vouchers_shared.events import CoiAssessed
from vouchers_shared.refdata import HoldingItem


def uscc(n: int) -> str:
    body = f"91440300MA{n:07d}"
    return body + calc_check_digit(body)


APPLICANT, PROVIDER = uscc(1), uscc(2)
M1, M2, M3, M4, HOLDER = uscc(11), uscc(12), uscc(13), uscc(14), uscc(20)
WHEN = datetime(2026, 5, 20, 10, tzinfo=timezone(timedelta(hours=8)))


def holding(holder: str, held: str, pct: str, kind: Literal["company", "person"] = "company") -> HoldingItem:
    return HoldingItem(holder_id=holder, holder_kind=kind, held_uscc=held, pct=pct)


def application(shareholders: Iterable[tuple[str, str, str]] = ()) -> Application:
    staff: dict[str, Any] = {"name": "某人", "qualification": "masters", "full_time_in_shenzhen": True}
    return Application.model_validate(
        {
            "program_year": 2026,
            "applicant": {
                "name": "申请单位", "uscc": APPLICANT, "org_type": "enterprise",
                "independent_legal_person": True, "public_institution": False,
                "registered_on": "2020-01-01", "registered_district": "南山区",
                "legal_representative": {"person_id": "lr-applicant", "name": "法人"},
                "shareholders": [
                    {"holder_id": h, "kind": k, "name": "股东", "pct": p} for h, k, p in shareholders
                ],
                "contact": {"name": "联系人", "email": "a@example.cn", "mobile": "13800000000"},
            },
            "project": {
                "title": "训练", "ethics_or_safety_involved": False,
                "lead": {"person_id": "lead", **staff},
                "members": [{"person_id": "member-1", **staff}, {"person_id": "member-2", **staff}],
            },
            "contracts": [{
                "contract_no": "HT-1", "provider_uscc": PROVIDER, "provider_name": "服务商",
                "signed_on": "2026-01-15", "service_start": "2026-02-01",
                "service_end": "2026-10-31", "amount_cny": "1000000.00",
                "service_type": "training", "training_kind": "sft", "description": "训练",
            }],
            "declarations": {"self_filed": True, "filed_by_project_lead": True, "truthful": True},
        }
    )  # fmt: skip


def assess(holdings: Iterable[HoldingItem], app: Application | None = None, max_hops: int = 4) -> CoiAssessed:
    graph = ReferenceGraph.build(list(holdings), [], {"holdings": "h1", "officers": "o1"})
    return assess_conflicts(
        app or application(),
        application_id="app-1",
        graph=graph,
        registered_providers=frozenset({PROVIDER}),
        threshold_pct=Decimal("20"),
        max_hops=max_hops,
        assessed_at=WHEN,
    )


def related_finding(result: CoiAssessed) -> Any:
    (finding,) = [f for f in result.findings if f.rule == "COI-RELATED-PARTY"]
    return finding


@pytest.mark.parametrize(
    ("to_applicant", "to_provider", "outcome"),
    [
        ("20.00", "20.00", "conflict"),
        ("19.99", "20.00", "clear"),
        ("20.00", "19.99", "clear"),
        ("60.00", "30.00", "conflict"),
    ],
)
def test_a_common_holder_relates_them_only_at_twenty_percent_of_both(
    to_applicant: str, to_provider: str, outcome: str
) -> None:
    result = assess([holding(HOLDER, APPLICANT, to_applicant), holding(HOLDER, PROVIDER, to_provider)])
    assert result.outcome == outcome
    assert result.contracts[0].outcome == outcome


def test_a_person_can_be_the_common_holder() -> None:
    result = assess([holding("p-9", APPLICANT, "20", "person"), holding("p-9", PROVIDER, "20", "person")])
    assert result.outcome == "conflict"
    assert related_finding(result).evidence[0].relation == "common_holder"


@pytest.mark.parametrize(("pct", "outcome"), [("50.00", "conflict"), ("40.00", "clear")])
def test_a_two_hop_chain_multiplies_its_percentages(pct: str, outcome: str) -> None:
    result = assess([holding(APPLICANT, M1, pct), holding(M1, PROVIDER, pct)])
    assert result.outcome == outcome


def test_a_provider_holding_the_applicant_through_a_chain_is_related() -> None:
    result = assess([holding(PROVIDER, M1, "50"), holding(M1, APPLICANT, "50")])
    assert result.outcome == "conflict"
    assert related_finding(result).evidence[0].relation == "held_by"


def test_a_direct_holding_of_the_provider_below_the_threshold_is_clear() -> None:
    assert assess([holding(APPLICANT, PROVIDER, "19.9999")]).outcome == "clear"


def chain(*nodes: str) -> list[HoldingItem]:
    return [holding(a, b, "100") for a, b in itertools.pairwise(nodes)]


def test_a_chain_of_four_holdings_is_followed() -> None:
    assert assess(chain(APPLICANT, M1, M2, M3, PROVIDER)).outcome == "conflict"


def test_a_chain_of_five_holdings_is_not_followed_even_at_full_ownership() -> None:
    assert assess(chain(APPLICANT, M1, M2, M3, M4, PROVIDER)).outcome == "clear"


def test_each_side_of_a_common_holder_may_have_four_hops_but_not_five() -> None:
    four = [*chain(HOLDER, M1, M2, M3, APPLICANT), *chain(HOLDER, PROVIDER)]
    five = [*chain(HOLDER, M1, M2, M3, M4, APPLICANT), *chain(HOLDER, PROVIDER)]
    assert assess(four).outcome == "conflict"
    assert assess(five).outcome == "clear"


def test_the_hop_limit_is_a_parameter() -> None:
    assert assess(chain(APPLICANT, M1, M2, PROVIDER), max_hops=2).outcome == "clear"
    assert assess(chain(APPLICANT, M1, PROVIDER), max_hops=2).outcome == "conflict"


def test_a_cycle_in_the_holdings_ends_and_is_walked_once() -> None:
    cycle = [holding(M1, M2, "100"), holding(M2, M3, "100"), holding(M3, M1, "100")]
    related = [*cycle, holding(APPLICANT, M1, "50"), holding(M3, PROVIDER, "50")]
    unrelated = [
        *cycle,
        holding(M1, APPLICANT, "50"),
        holding(APPLICANT, M2, "10"),
        holding(M3, PROVIDER, "15"),
    ]
    assert assess(related).outcome == "conflict"
    assert assess(unrelated).outcome == "clear"
    assert related_finding(assess(related)).evidence[0].effective_pct == "25.00"


def test_a_cycle_through_both_parties_gives_each_simple_path_once() -> None:
    result = assess([holding(APPLICANT, PROVIDER, "30"), holding(PROVIDER, APPLICANT, "30")])
    relations = [p.relation for p in related_finding(result).evidence]
    assert relations == ["held_by", "holds"]


def test_indirect_holdings_through_several_chains_are_added_up() -> None:
    holdings = [
        holding(HOLDER, APPLICANT, "10"),
        holding(HOLDER, M1, "50"),
        holding(M1, APPLICANT, "20"),
        holding(HOLDER, PROVIDER, "30"),
    ]
    evidence = related_finding(assess(holdings)).evidence
    assert [p.effective_pct for p in evidence] == ["20.00", "20.00"]
    assert assess(holdings[1:]).outcome == "clear"


def test_one_holding_reported_by_the_application_and_the_snapshot_is_not_counted_twice() -> None:
    app = application([(HOLDER, "company", "15.00")])
    holdings = [holding(HOLDER, APPLICANT, "15.00"), holding(HOLDER, PROVIDER, "30.00")]
    assert assess(holdings, app).outcome == "clear"


def test_a_shareholder_declared_in_the_application_counts() -> None:
    app = application([(HOLDER, "company", "35.00")])
    result = assess([holding(HOLDER, PROVIDER, "25.00")], app)
    assert result.outcome == "conflict"
    origins = [e.origin for e in related_finding(result).evidence[0].edges]
    assert origins == ["application:app-1", "refdata:holdings@h1"]


def test_the_larger_of_two_reports_of_one_holding_is_used() -> None:
    app = application([(HOLDER, "company", "10.00")])
    result = assess([holding(HOLDER, APPLICANT, "35.00"), holding(HOLDER, PROVIDER, "25.00")], app)
    (path,) = related_finding(result).evidence
    assert (path.edges[0].pct, path.edges[0].origin) == ("35.00", "refdata:holdings@h1")
