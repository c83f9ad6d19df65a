"""Turning reference-data snapshots into what the domain functions take."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Set
from dataclasses import dataclass
from decimal import Decimal

import structlog
from vouchers_shared.refdata import (
    HoldingItem,
    Item,
    OfficerItem,
    PriorYearUnredeemedItem,
    ProviderBatches,
    RestrictionItem,
    Snapshot,
    provider_register,
)
from vouchers_shared.refdata_store import Derived, versions_of

from eligibility.domain.coi import ReferenceGraph
from eligibility.domain.rulebook import EligibilityRefs

log = structlog.get_logger()


def build_graph(snapshots: dict[str, Snapshot]) -> ReferenceGraph:
    holdings = [i for i in _items(snapshots, "holdings") if isinstance(i, HoldingItem)]
    officers = [i for i in _items(snapshots, "officers") if isinstance(i, OfficerItem)]
    return ReferenceGraph.build(holdings, officers, versions_of(snapshots))


TABLE_KINDS = ("providers", "restrictions", "prior_year_unredeemed")


@dataclass(frozen=True)
class RefTables:
    """The lookup tables of the rule book's reference data, built once per snapshot version."""

    providers: Mapping[str, ProviderBatches]  # registered provider USCC -> batch per item
    restrictions: Mapping[str, Set[str]]  # USCC -> the restriction lists it is on
    prior_unredeemed: Mapping[int, Mapping[str, Decimal]]  # program year -> USCC -> CNY


def build_tables(snapshots: dict[str, Snapshot]) -> RefTables:
    restrictions: dict[str, set[str]] = defaultdict(set)
    for item in _items(snapshots, "restrictions"):
        if isinstance(item, RestrictionItem):
            restrictions[item.uscc].add(item.list)
    prior: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for item in _items(snapshots, "prior_year_unredeemed"):
        if isinstance(item, PriorYearUnredeemedItem):
            _add_prior(prior[item.program_year], item)
    return RefTables(
        providers=provider_register(_items(snapshots, "providers")),
        restrictions={uscc: frozenset(lists) for uscc, lists in restrictions.items()},
        prior_unredeemed=dict(prior),
    )


def _add_prior(year: dict[str, Decimal], item: PriorYearUnredeemedItem) -> None:
    """One amount per applicant and year: a repeated row counts once. Two different amounts (in a
    snapshot loaded before such rows were refused) keep the larger, which leaves the applicant
    no more room than either row would."""
    known = year.get(item.uscc)
    if known is not None and known != item.unredeemed_cny:
        log.error(
            "prior_year_unredeemed_conflict",
            uscc=item.uscc,
            program_year=item.program_year,
            amounts=sorted(str(a) for a in (known, item.unredeemed_cny)),
        )
    year[item.uscc] = item.unredeemed_cny if known is None else max(known, item.unredeemed_cny)


def tables_of(snapshots: dict[str, Snapshot], tables: Derived[RefTables]) -> RefTables:
    """The tables for these snapshots, rebuilt only when one of their versions changed."""
    return tables.get({k: v for k, v in snapshots.items() if k in TABLE_KINDS})


def coi_inputs(
    snapshots: dict[str, Snapshot], graph: Derived[ReferenceGraph], tables: Derived[RefTables]
) -> tuple[ReferenceGraph, frozenset[str]]:
    """The ownership graph and the provider registry, each rebuilt only when a snapshot changed."""
    graph_snapshots = {k: v for k, v in snapshots.items() if k in ("holdings", "officers")}
    return graph.get(graph_snapshots), frozenset(tables_of(snapshots, tables).providers)


def eligibility_refs(tables: RefTables, prior_year: int, declared: Set[tuple[str, str]]) -> EligibilityRefs:
    return EligibilityRefs(
        providers=tables.providers,
        restrictions=tables.restrictions,
        prior_year_unredeemed=tables.prior_unredeemed.get(prior_year, {}),
        declared_contracts=frozenset(declared),
    )


def _items(snapshots: dict[str, Snapshot], kind: str) -> list[Item]:
    snapshot = snapshots.get(kind)
    return list(snapshot.parsed()) if snapshot is not None else []
