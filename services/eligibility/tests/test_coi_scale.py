"""The reference graph is built once and shared: an assessment reads only its neighbourhood."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, NoReturn

import networkx as nx
import pytest
from eligibility.domain.coi import ReferenceGraph, assess_conflicts, assess_in
from stdnum.cn.uscc import calc_check_digit
from vouchers_shared.application import Application
from vouchers_shared.refdata import HoldingItem, OfficerItem

EDGES = 50_000
COMPANIES = 20_000
WHEN = datetime(2026, 5, 20, 10, tzinfo=timezone(timedelta(hours=8)))


def uscc(n: int, region: str = "440300") -> str:
    body = f"91{region}MA{n:07d}"
    return body + calc_check_digit(body)


APPLICANT, PROVIDER, HOLDER = uscc(1, "440305"), uscc(2, "440305"), uscc(3, "440305")


def application(n: int) -> Application:
    staff: dict[str, Any] = {"name": "某人", "qualification": "masters", "full_time_in_shenzhen": True}
    return Application.model_validate(
        {
            "program_year": 2026,
            "applicant": {
                "name": "申请单位", "uscc": APPLICANT, "org_type": "enterprise",
                "independent_legal_person": True, "public_institution": False,
                "registered_on": "2020-01-01", "registered_district": "南山区",
                "legal_representative": {"person_id": f"lr-{n}", "name": "法人"},
                "shareholders": [
                    {"holder_id": uscc(n), "kind": "company", "name": "股东", "pct": "10.00"}
                ],
                "contact": {"name": "联系人", "email": "a@example.cn", "mobile": "13800000000"},
            },
            "project": {
                "title": "训练", "ethics_or_safety_involved": False,
                "lead": {"person_id": "lead", **staff},
                "members": [{"person_id": "member-1", **staff}],
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


@pytest.fixture(scope="module")
def big_graph() -> ReferenceGraph:
    rng = random.Random(2026)
    companies = [uscc(n) for n in range(COMPANIES)]
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < EDGES:
        holder, held = rng.sample(companies, 2)
        pairs.add((holder, held))
    # The codes are valid by construction; skipping 50,000 re-validations keeps the test quick.
    holdings = [
        HoldingItem.model_construct(
            holder_id=a, holder_kind="company", held_uscc=b, pct=Decimal(rng.randint(1, 60))
        )
        for a, b in sorted(pairs)
    ]
    holdings += [
        HoldingItem(holder_id=HOLDER, holder_kind="company", held_uscc=APPLICANT, pct="35.00"),
        HoldingItem(holder_id=HOLDER, holder_kind="company", held_uscc=PROVIDER, pct="25.00"),
    ]
    officers = [OfficerItem(person_id="p-1", company_uscc=PROVIDER, role="director")]
    return ReferenceGraph.build(holdings, officers, {"holdings": "h1", "officers": "o1"})


def assess(graph: ReferenceGraph, n: int) -> Any:
    return assess_conflicts(
        application(n),
        application_id=f"app-{n}",
        graph=graph,
        registered_providers=frozenset({PROVIDER}),
        threshold_pct=Decimal("20"),
        max_hops=4,
        assessed_at=WHEN,
    )


def test_a_graph_of_fifty_thousand_holdings_is_built_and_frozen(big_graph: ReferenceGraph) -> None:
    assert big_graph.graph.number_of_edges() == EDGES + 3
    assert nx.is_frozen(big_graph.graph)


def assess_view(graph: ReferenceGraph, app: Application) -> tuple[Any, set[Any]]:
    view = graph.overlay(app, "app-x")
    result = assess_in(
        view,
        app,
        application_id="app-x",
        registered_providers=frozenset({PROVIDER}),
        threshold_pct=Decimal("20"),
        max_hops=4,
        assessed_at=WHEN,
    )
    return result, view.visited


def test_an_assessment_visits_only_the_parties_near_applicant_and_provider(
    big_graph: ReferenceGraph,
) -> None:
    outsider = uscc(COMPANIES + 1)
    result, visited = assess_view(big_graph, application(COMPANIES + 1))
    assert result.outcome == "conflict"
    assert visited == {("company", c) for c in (APPLICANT, PROVIDER, HOLDER, outsider)}


def within_three_holding_links_above(graph: ReferenceGraph, *parties: str) -> set[Any]:
    reverse = graph.graph.reverse(copy=False)
    near: set[Any] = set()
    for party in parties:
        near |= set(nx.single_source_shortest_path_length(reverse, ("company", party), cutoff=3))
    return near


def test_an_applicant_inside_the_large_graph_still_reaches_only_its_neighbourhood(
    big_graph: ReferenceGraph,
) -> None:
    result, visited = assess_view(big_graph, application(5))
    near = within_three_holding_links_above(big_graph, APPLICANT, PROVIDER, uscc(5))
    assert result.outcome == "conflict"
    assert len(visited) > 4
    assert visited <= near
    assert len(visited) < big_graph.graph.number_of_nodes() // 100


def test_the_reference_graph_is_neither_copied_nor_changed_per_application(
    big_graph: ReferenceGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> NoReturn:
        raise AssertionError("the reference graph was copied")

    monkeypatch.setattr(nx.MultiDiGraph, "copy", refuse)
    monkeypatch.setattr(nx, "compose", refuse)
    monkeypatch.setattr(nx.convert, "to_networkx_graph", refuse)
    before = big_graph.graph.number_of_edges()
    for n in (5, 6, 7):
        assert assess(big_graph, n).outcome == "conflict"
        assert big_graph.overlay(application(n), f"app-{n}").reference is big_graph
    assert big_graph.graph.number_of_edges() == before
