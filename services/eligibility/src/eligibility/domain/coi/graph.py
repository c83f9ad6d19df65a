"""Ownership and officer graph: an immutable reference part plus a per-application overlay.

The reference part (loaded `holdings` and `officers`) is built once per pair of snapshots and
frozen; it is shared by every application assessed against those snapshots. What one
application declares (its shareholders, legal representative, officers and project staff)
goes into a small overlay graph of its own. `ApplicationGraph` answers neighbourhood queries
from both graphs side by side, so the reference graph is never copied or composed per
application.

Nodes are `(kind, id)` pairs: companies by USCC, people by `person_id`, so that a person id
can never be mistaken for a company code. Between two parties there is at most one edge per
kind (the MultiDiGraph key): several reports of the same relationship are merged by
`preferred`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import networkx as nx
from vouchers_shared.application import Application
from vouchers_shared.refdata import HoldingItem, OfficerItem

PartyKind = Literal["company", "person"]
Party = tuple[PartyKind, str]
EdgeKind = Literal["holding", "legal_representative", "director", "supervisor", "senior_manager", "employee"]
HOLDING: EdgeKind = "holding"
EMPLOYEE: EdgeKind = "employee"


def company(uscc: str) -> Party:
    """The node of a company, keyed by its USCC."""
    return ("company", uscc)


def person(person_id: str) -> Party:
    """The node of a natural person, keyed by the person id hash."""
    return ("person", person_id)


@dataclass(frozen=True)
class Link:
    """One relationship, pointing from holder or officer to the company, as a source reports it."""

    source: Party
    target: Party
    kind: EdgeKind
    origin: str
    pct: Decimal | None = None


def preferred(first: Link, second: Link) -> Link:
    """The report kept when two sources describe the same relationship.

    Reports of one holding are alternative statements of a single fact, never added up: the
    largest percentage is kept, so that no source able to establish a relation is overlooked.
    Ties (and roles, which carry no percentage) go to the smallest origin, so the choice does
    not depend on the order in which reports arrive.
    """
    first_pct = first.pct or Decimal(0)
    second_pct = second.pct or Decimal(0)
    if first_pct != second_pct:
        return first if first_pct > second_pct else second
    return first if first.origin <= second.origin else second


def _add(graph: nx.MultiDiGraph, link: Link) -> None:
    known = graph.get_edge_data(link.source, link.target, key=link.kind)
    kept = link if known is None else preferred(known["link"], link)
    graph.add_edge(link.source, link.target, key=link.kind, link=kept)


def _origin(kind: str, versions: dict[str, str]) -> str:
    if kind not in versions:
        raise ValueError(f"reference data `{kind}` given without its snapshot version")
    return f"refdata:{kind}@{versions[kind]}"


def reference_links(
    holdings: Sequence[HoldingItem], officers: Sequence[OfficerItem], versions: dict[str, str]
) -> list[Link]:
    """Every relationship the loaded `holdings` and `officers` snapshots report."""
    links: list[Link] = []
    if holdings:
        origin = _origin("holdings", versions)
        links += [
            Link((h.holder_kind, h.holder_id), company(h.held_uscc), HOLDING, origin, h.pct) for h in holdings
        ]
    if officers:
        origin = _origin("officers", versions)
        links += [Link(person(o.person_id), company(o.company_uscc), o.role, origin) for o in officers]
    return links


def declared_links(application: Application, application_id: str) -> list[Link]:
    """What the application says about its own shareholders, officers and project staff."""
    origin = f"application:{application_id}"
    applicant = application.applicant
    target = company(applicant.uscc)
    links = [Link((s.kind, s.holder_id), target, HOLDING, origin, s.pct) for s in applicant.shareholders]
    links.append(
        Link(person(applicant.legal_representative.person_id), target, "legal_representative", origin)
    )
    links += [Link(person(o.person_id), target, o.role, origin) for o in applicant.officers]
    staff = [application.project.lead, *application.project.members]
    links += [Link(person(s.person_id), target, EMPLOYEE, origin) for s in staff]
    return links


def _graph_of(links: Iterable[Link]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for link in links:
        _add(graph, link)
    return graph


class ReferenceGraph:
    """The loaded ownership and officer data of one pair of snapshots, frozen once built."""

    def __init__(self, graph: nx.MultiDiGraph, versions: dict[str, str]) -> None:
        self._graph: nx.MultiDiGraph = nx.freeze(graph)
        self._versions = dict(versions)

    @classmethod
    def build(
        cls,
        holdings: Sequence[HoldingItem],
        officers: Sequence[OfficerItem],
        versions: dict[str, str],
    ) -> ReferenceGraph:
        """Build from parsed snapshot items; `versions` maps each kind to its snapshot version.

        Any further entries in `versions` (such as `providers`) are kept and reported with
        every assessment made against this graph.
        """
        return cls(_graph_of(reference_links(holdings, officers, versions)), versions)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The frozen networkx graph; edges carry a `link` attribute."""
        return self._graph

    @property
    def versions(self) -> dict[str, str]:
        """The snapshot version of each kind of reference data this graph was built from."""
        return dict(self._versions)

    def knows(self, party: Party) -> bool:
        """Whether the reference data says anything at all about this party."""
        return party in self._graph

    def overlay(self, application: Application, application_id: str) -> ApplicationGraph:
        """This graph seen together with what one application declares."""
        return ApplicationGraph(self, _graph_of(declared_links(application, application_id)))


class ApplicationGraph:
    """Reference graph and one application's overlay, queried side by side without copying.

    `visited` records every party whose neighbourhood was looked up: the assessment of an
    application touches only the parties near the applicant and its providers.
    """

    def __init__(self, reference: ReferenceGraph, overlay: nx.MultiDiGraph) -> None:
        self.reference = reference
        self.overlay = overlay
        self.visited: set[Party] = set()

    def knows(self, party: Party) -> bool:
        """Whether either the reference data or the application says anything about the party."""
        return self.reference.knows(party) or party in self.overlay

    def links_into(self, party: Party) -> list[Link]:
        """Every relationship pointing at the party, one per (source, kind), in a stable order."""
        self.visited.add(party)
        merged: dict[tuple[Party, EdgeKind], Link] = {}
        for graph in (self.reference.graph, self.overlay):
            if party in graph:
                for link in _incoming(graph, party):
                    key = (link.source, link.kind)
                    merged[key] = link if key not in merged else preferred(merged[key], link)
        return [merged[key] for key in sorted(merged)]

    def holders_of(self, party: Party) -> list[Link]:
        """The holdings in the party, one per holder."""
        return [link for link in self.links_into(party) if link.kind == HOLDING]

    def roles_at(self, party: Party) -> list[Link]:
        """The officer and employee roles at the company."""
        return [link for link in self.links_into(party) if link.kind != HOLDING]


def _incoming(graph: nx.MultiDiGraph, party: Party) -> Iterable[Link]:
    by_source: dict[Party, dict[str, dict[str, Any]]] = graph.pred[party]
    for edges in by_source.values():
        for data in edges.values():
            yield data["link"]
