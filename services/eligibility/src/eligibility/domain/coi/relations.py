"""Finding every path that makes an applicant and a provider related parties (非关联方 test).

Indirect holdings: the percentage of a chain is the product of its links; the effective
holding of one party in another is the SUM over every simple chain of at most `max_hops`
holding links between them (the way accounting standards add up indirect interests held
through several routes). Only simple chains count, so a cycle in the holding data is walked
at most once round and the search always ends; with the hop bound, no more than `max_hops`
links are followed from either side.

A third party is a common holder when its effective holding in each of the two reaches the
threshold; each side's chains are at most `max_hops` links, and a chain may run through the
other party (T holds P through A is still T holding P, as the guide's "through chains" reads).
Every chain pair of a common holder is one evidence path, so every contributing chain is shown.

Two reports of the same holding from different sources (the application and the holdings
snapshot) are one holding, never added up: see `graph.preferred`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from eligibility.domain.coi.graph import EMPLOYEE, ApplicationGraph, Link, Party

RelationKind = Literal["holds", "held_by", "common_holder", "shared_officer", "staff_at_provider"]
OFFICER_ROLES = frozenset({"legal_representative", "director", "supervisor", "senior_manager"})
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Chain:
    """Simple chain of holdings, from the top holder down to the held party."""

    links: tuple[Link, ...]

    @property
    def holder(self) -> Party:
        return self.links[0].source

    @property
    def pct(self) -> Decimal:
        """The chain's percentage: the product of its links."""
        value = HUNDRED
        for link in self.links:
            value = value * (link.pct or Decimal(0)) / HUNDRED
        return value


@dataclass(frozen=True)
class Relation:
    """One path between applicant and provider, read left (applicant) to right (provider)."""

    kind: RelationKind
    nodes: tuple[Party, ...]
    links: tuple[Link, ...]
    effective_pct: Decimal | None = None


Holders = dict[Party, list[Chain]]


def holders_through_chains(graph: ApplicationGraph, held: Party, max_hops: int) -> Holders:
    """Every party holding `held` through a simple chain of 1..max_hops links, with the chains."""
    found: Holders = defaultdict(list)
    stack: list[tuple[Party, tuple[Link, ...]]] = [(held, ())]
    while stack:
        node, below = stack.pop()
        on_chain = {held, *(link.source for link in below)}
        for link in graph.holders_of(node):
            if link.source in on_chain or not link.pct:
                continue
            chain = (link, *below)
            found[link.source].append(Chain(chain))
            if len(chain) < max_hops:
                stack.append((link.source, chain))
    return dict(found)


def effective(chains: Sequence[Chain]) -> Decimal:
    """The effective holding: the sum of the chains' percentages."""
    return sum((chain.pct for chain in chains), Decimal(0))


def _downward(chain: Chain) -> tuple[Party, ...]:
    return (*(link.source for link in chain.links), chain.links[-1].target)


def direct_holdings(
    holder: Party, held_by_holder: Holders, threshold: Decimal, kind: RelationKind
) -> list[Relation]:
    """One relation per chain when `holder` effectively holds the other party at the threshold."""
    chains = held_by_holder.get(holder, [])
    total = effective(chains)
    if not chains or total < threshold:
        return []
    if kind == "holds":
        return [Relation(kind, _downward(c), c.links, total) for c in chains]
    return [Relation(kind, _downward(c)[::-1], c.links[::-1], total) for c in chains]


def common_holders(
    ends: tuple[Party, Party], of_applicant: Holders, of_provider: Holders, threshold: Decimal
) -> list[Relation]:
    """Third parties holding both at the threshold; one relation per pair of chains.

    The figure held to the threshold is the smaller of the two effective holdings.
    """
    relations: list[Relation] = []
    for holder in sorted(set(of_applicant) & set(of_provider) - set(ends)):
        up, down = of_applicant[holder], of_provider[holder]
        weaker = min(effective(up), effective(down))
        if weaker < threshold:
            continue
        for left in up:
            for right in down:
                nodes = (*_downward(left)[::-1], *_downward(right)[1:])
                links = (*left.links[::-1], *right.links)
                relations.append(Relation("common_holder", nodes, links, weaker))
    return relations


def shared_officers(applicant_roles: list[Link], provider_roles: list[Link]) -> list[Relation]:
    """The same person is legal representative, director, supervisor or senior manager of both."""
    ours = [link for link in applicant_roles if link.kind in OFFICER_ROLES]
    theirs = [link for link in provider_roles if link.kind in OFFICER_ROLES]
    return [
        Relation("shared_officer", (left.target, left.source, right.target), (left, right))
        for left in ours
        for right in theirs
        if left.source == right.source
    ]


def staff_at_provider(
    staff: frozenset[Party], applicant_roles: list[Link], provider_roles: list[Link]
) -> list[Relation]:
    """The project lead or a key member is an employee or officer (any role) of the provider."""
    employed = [link for link in applicant_roles if link.kind == EMPLOYEE and link.source in staff]
    return [
        Relation("staff_at_provider", (ours.target, ours.source, theirs.target), (ours, theirs))
        for ours in employed
        for theirs in provider_roles
        if ours.source == theirs.source
    ]
