"""Evidence paths: complete, in a stable order, and the guide's worked example."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import networkx as nx
import pytest
from eligibility.domain.coi import ReferenceGraph, assess_conflicts
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn.uscc import calc_check_digit
from vouchers_shared.application import Application
from vouchers_shared.events import CoiAssessed
from vouchers_shared.findings import EvidenceEdge, EvidencePath
from vouchers_shared.refdata import HoldingItem, OfficerItem


def uscc(n: int, region: str = "440300") -> str:
    body = f"91{region}MA{n:07d}"
    return body + calc_check_digit(body)


APPLICANT, PROVIDER, X, Y, M = uscc(1), uscc(2), uscc(5), uscc(6), uscc(7)
WHEN = datetime(2026, 5, 20, 10, tzinfo=timezone(timedelta(hours=8)))


def holding(holder: str, held: str, pct: str) -> HoldingItem:
    kind = "company" if len(holder) == 18 else "person"
    return HoldingItem(holder_id=holder, holder_kind=kind, held_uscc=held, pct=pct)


def application(
    applicant: str = APPLICANT,
    provider: str = PROVIDER,
    shareholders: Sequence[tuple[str, str]] = (),
    members: Sequence[str] = ("member-1", "member-2"),
) -> Application:
    staff: dict[str, Any] = {"name": "某人", "qualification": "masters", "full_time_in_shenzhen": True}
    return Application.model_validate(
        {
            "program_year": 2026,
            "applicant": {
                "name": "申请单位", "uscc": applicant, "org_type": "enterprise",
                "independent_legal_person": True, "public_institution": False,
                "registered_on": "2019-06-18", "registered_district": "南山区",
                "legal_representative": {"person_id": "lr-applicant", "name": "法人代表"},
                "shareholders": [
                    {"holder_id": h, "kind": "company" if len(h) == 18 else "person",
                     "name": "股东", "pct": p}
                    for h, p in shareholders
                ],
                "contact": {"name": "联系人", "email": "a@example.cn", "mobile": "13800000000"},
            },
            "project": {
                "title": "行业大模型训练", "ethics_or_safety_involved": False,
                "lead": {"person_id": "lead", **staff},
                "members": [{"person_id": m, **staff} for m in members],
            },
            "contracts": [{
                "contract_no": "HT-R-01", "provider_uscc": provider, "provider_name": "算力服务商",
                "signed_on": "2025-12-20", "service_start": "2026-01-01",
                "service_end": "2026-11-30", "amount_cny": "3000000.00",
                "service_type": "training", "training_kind": "pretraining",
                "description": "租用智能算力开展大模型训练",
            }],
            "declarations": {"self_filed": True, "filed_by_project_lead": True, "truthful": True},
        }
    )  # fmt: skip


def assess(
    app: Application,
    holdings: Iterable[HoldingItem] = (),
    officers: Iterable[OfficerItem] = (),
    registered: frozenset[str] = frozenset(),
) -> CoiAssessed:
    return assess_conflicts(
        app,
        application_id="app-1",
        graph=ReferenceGraph.build(list(holdings), list(officers), {"holdings": "h1", "officers": "o1"}),
        registered_providers=registered,
        threshold_pct=Decimal("20"),
        max_hops=4,
        assessed_at=WHEN,
    )


def evidence(result: CoiAssessed) -> list[EvidencePath]:
    (finding,) = [f for f in result.findings if f.rule == "COI-RELATED-PARTY"]
    return finding.evidence


def test_the_worked_example_names_the_common_holder_with_both_percentages() -> None:
    holder, applicant, provider = "91440303MA5K000049", "91440305MA5K000134", "91440306MA5K00003H"
    refdata = [holding(holder, applicant, "35.00"), holding(holder, provider, "25.00")]
    registry = frozenset({"91440304MA5K00001E", "91440305MA5K000020", provider})
    result = assess(application(applicant, provider), refdata, registered=registry)
    assert result.outcome == "conflict"
    assert evidence(result) == [
        EvidencePath(
            relation="common_holder",
            summary=f"applicant ←35.00%— {holder} —25.00%→ provider",
            effective_pct="25.00",
            edges=[
                EvidenceEdge(source=holder, target=applicant, kind="holding", pct="35.00",
                             origin="refdata:holdings@h1"),
                EvidenceEdge(source=holder, target=provider, kind="holding", pct="25.00",
                             origin="refdata:holdings@h1"),
            ],
        )
    ]  # fmt: skip


def test_a_chain_is_given_link_by_link_with_its_product() -> None:
    (path,) = evidence(assess(application(), [holding(APPLICANT, M, "50"), holding(M, PROVIDER, "50")]))
    assert (path.relation, path.effective_pct) == ("holds", "25.00")
    assert path.summary == f"applicant —50.00%→ {M} —50.00%→ provider"
    assert [(e.source, e.target, e.pct) for e in path.edges] == [
        (APPLICANT, M, "50.00"),
        (M, PROVIDER, "50.00"),
    ]


def test_every_path_is_given_sorted_by_relation_then_by_nodes() -> None:
    holdings = [
        holding(Y, APPLICANT, "30"), holding(Y, PROVIDER, "30"),
        holding(X, APPLICANT, "40"), holding(X, M, "100"), holding(M, PROVIDER, "20"),
        holding(X, PROVIDER, "5"), holding(APPLICANT, PROVIDER, "20"),
    ]  # fmt: skip
    officers = [OfficerItem(person_id="member-1", company_uscc=PROVIDER, role="director")]
    paths = evidence(assess(application(), holdings, officers))
    assert [(p.relation, p.summary, p.effective_pct) for p in paths] == [
        ("common_holder", f"applicant ←40.00%— {X} —40.00%→ applicant —20.00%→ provider", "33.00"),
        ("common_holder", f"applicant ←40.00%— {X} —5.00%→ provider", "33.00"),
        ("common_holder", f"applicant ←40.00%— {X} —100.00%→ {M} —20.00%→ provider", "33.00"),
        ("common_holder", f"applicant ←30.00%— {Y} —30.00%→ applicant —20.00%→ provider", "30.00"),
        ("common_holder", f"applicant ←30.00%— {Y} —30.00%→ provider", "30.00"),
        ("holds", "applicant —20.00%→ provider", "20.00"),
        ("staff_at_provider", "applicant ←employee— member-1 —director→ provider", None),
    ]


def test_a_common_holder_may_reach_one_party_through_the_other() -> None:
    holdings = [holding(X, APPLICANT, "100"), holding(APPLICANT, PROVIDER, "19"), holding(X, PROVIDER, "2")]
    paths = evidence(assess(application(), holdings))
    assert [(p.summary, p.effective_pct) for p in paths] == [
        (f"applicant ←100.00%— {X} —100.00%→ applicant —19.00%→ provider", "21.00"),
        (f"applicant ←100.00%— {X} —2.00%→ provider", "21.00"),
    ]


RICH_HOLDINGS = [
    holding(X, APPLICANT, "40"), holding(X, M, "60"), holding(M, PROVIDER, "50"),
    holding(Y, X, "100"), holding(PROVIDER, Y, "70"), holding("p-1", APPLICANT, "25"),
    holding("p-1", PROVIDER, "25"), holding(APPLICANT, M, "40"), holding(M, APPLICANT, "15"),
]  # fmt: skip
RICH_OFFICERS = [
    OfficerItem(person_id="p-2", company_uscc=APPLICANT, role="director"),
    OfficerItem(person_id="p-2", company_uscc=PROVIDER, role="supervisor"),
    OfficerItem(person_id="p-2", company_uscc=PROVIDER, role="director"),
    OfficerItem(person_id="member-1", company_uscc=PROVIDER, role="employee"),
    OfficerItem(person_id="lead", company_uscc=PROVIDER, role="senior_manager"),
]
RICH_SHAREHOLDERS = [(Y, "30.00"), ("p-1", "20.00"), (M, "15.00")]
MEMBERS = ["member-1", "member-2", "member-3"]


def test_a_rich_case_finds_a_path_of_every_kind() -> None:
    result = assess(application(shareholders=RICH_SHAREHOLDERS), RICH_HOLDINGS, RICH_OFFICERS)
    kinds = {p.relation for p in evidence(result)}
    assert kinds == {"holds", "held_by", "common_holder", "shared_officer", "staff_at_provider"}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_result_does_not_depend_on_the_order_of_the_inputs(data: st.DataObject) -> None:
    expected = assess(
        application(shareholders=RICH_SHAREHOLDERS, members=MEMBERS), RICH_HOLDINGS, RICH_OFFICERS
    )
    shuffled = assess(
        application(
            shareholders=data.draw(st.permutations(RICH_SHAREHOLDERS)),
            members=data.draw(st.permutations(MEMBERS)),
        ),
        data.draw(st.permutations(RICH_HOLDINGS)),
        data.draw(st.permutations(RICH_OFFICERS)),
    )
    assert shuffled.model_dump() == expected.model_dump()


PARTIES = [APPLICANT, PROVIDER, X, Y, M, "p-1"]
PCTS = st.sampled_from(["5", "10", "19.99", "20", "45", "50", "100"])


def related_by_oracle(holdings: dict[tuple[str, str], str]) -> bool:
    """All simple paths of at most four links, by networkx, summed per holder."""
    graph = nx.DiGraph()
    graph.add_edges_from((a, b, {"pct": Decimal(p) / 100}) for (a, b), p in holdings.items())

    def held(holder: str, target: str) -> Decimal:
        if holder not in graph or target not in graph or holder == target:
            return Decimal(0)
        total = Decimal(0)
        for path in nx.all_simple_paths(graph, holder, target, cutoff=4):
            product = Decimal(100)
            for a, b in itertools.pairwise(path):
                product *= graph.edges[a, b]["pct"]
            total += product
        return total

    limit = Decimal(20)
    if held(APPLICANT, PROVIDER) >= limit or held(PROVIDER, APPLICANT) >= limit:
        return True
    return any(min(held(t, APPLICANT), held(t, PROVIDER)) >= limit for t in PARTIES[2:])


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(PARTIES), st.sampled_from(PARTIES[:5])).filter(lambda e: e[0] != e[1]),
        PCTS,
        max_size=14,
    )
)
def test_holdings_agree_with_a_plain_enumeration_of_simple_paths(
    holdings: dict[tuple[str, str], str],
) -> None:
    items = [holding(a, b, p) for (a, b), p in holdings.items()]
    result = assess(application(), items, registered=frozenset({PROVIDER}))
    assert (result.outcome == "conflict") == related_by_oracle(holdings)


def test_a_snapshot_without_its_version_is_refused() -> None:
    with pytest.raises(ValueError, match="holdings"):
        ReferenceGraph.build([holding(X, APPLICANT, "40")], [], {"officers": "o1"})
