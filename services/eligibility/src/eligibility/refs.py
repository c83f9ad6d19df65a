"""Turning reference-data snapshots into what the domain functions take."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set
from decimal import Decimal

from vouchers_shared.refdata import (
    HoldingItem,
    OfficerItem,
    PriorYearUnredeemedItem,
    ProviderItem,
    RestrictionItem,
    Snapshot,
)
from vouchers_shared.refdata_store import Derived, versions_of

from eligibility.domain.coi import ReferenceGraph
from eligibility.domain.rulebook import EligibilityRefs


def build_graph(snapshots: dict[str, Snapshot]) -> ReferenceGraph:
    holdings = [i for i in _items(snapshots, "holdings") if isinstance(i, HoldingItem)]
    officers = [i for i in _items(snapshots, "officers") if isinstance(i, OfficerItem)]
    return ReferenceGraph.build(holdings, officers, versions_of(snapshots))


def coi_inputs(snapshots: dict[str, Snapshot],
               graph: Derived[ReferenceGraph]) -> tuple[ReferenceGraph, frozenset[str]]:
    """The ownership graph (rebuilt only when a snapshot changed) and the provider registry."""
    graph_snapshots = {k: v for k, v in snapshots.items() if k in ("holdings", "officers")}
    providers = frozenset(i.uscc for i in _items(snapshots, "providers")
                          if isinstance(i, ProviderItem))
    return graph.get(graph_snapshots), providers


def eligibility_refs(snapshots: dict[str, Snapshot], prior_year: int,
                     declared: Set[tuple[str, str]]) -> EligibilityRefs:
    restrictions: dict[str, set[str]] = defaultdict(set)
    for item in _items(snapshots, "restrictions"):
        if isinstance(item, RestrictionItem):
            restrictions[item.uscc].add(item.list)
    prior: dict[str, Decimal] = {}
    for item in _items(snapshots, "prior_year_unredeemed"):
        if isinstance(item, PriorYearUnredeemedItem) and item.program_year == prior_year:
            prior[item.uscc] = prior.get(item.uscc, Decimal("0.00")) + item.unredeemed_cny
    return EligibilityRefs(
        providers={i.uscc: i.batch for i in _items(snapshots, "providers")
                   if isinstance(i, ProviderItem)},
        restrictions=dict(restrictions),
        prior_year_unredeemed=prior,
        declared_contracts=frozenset(declared),
    )


def _items(snapshots: dict[str, Snapshot], kind: str) -> list[object]:
    snapshot = snapshots.get(kind)
    return list(snapshot.parsed()) if snapshot is not None else []
