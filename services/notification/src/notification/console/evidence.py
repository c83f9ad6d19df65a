"""A related-party evidence path laid out as a small graph: parties in a row, relations between.

A path is a chain of edges (source → target, kind, percentage); each edge keeps the direction
in which it holds, so `applicant ←60%— H —30%→ provider` is drawn as it reads. The layout is
plain geometry for an inline SVG; the template draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from vouchers_shared.findings import EvidenceEdge, EvidencePath

NODE_W: Final = 200
NODE_H: Final = 52
GAP: Final = 150
PAD: Final = 12
LABEL_CHARS: Final = 14


@dataclass(frozen=True)
class Node:
    party: str
    label: str  # the party's name as far as known, shortened; empty when unknown
    x: int
    y: int
    role: str  # applicant, provider, or other
    width: int = NODE_W
    height: int = NODE_H

    @property
    def cx(self) -> int:
        return self.x + self.width // 2


@dataclass(frozen=True)
class Link:
    x1: int
    x2: int
    y: int
    kind: str
    pct: str | None
    forward: bool  # the relation holds from the left party to the right one

    @property
    def middle(self) -> int:
        return (self.x1 + self.x2) // 2


@dataclass(frozen=True)
class Graph:
    relation: str
    summary: str
    effective_pct: str | None
    width: int
    height: int
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]


def chain(edges: Sequence[EvidenceEdge], start: str | None = None) -> list[str]:
    """The parties along the path, from `start` (or from an end of the chain)."""
    neighbours: dict[str, list[str]] = {}
    for e in edges:
        neighbours.setdefault(e.source, []).append(e.target)
        neighbours.setdefault(e.target, []).append(e.source)
    if not neighbours:
        return []
    ends = [p for p, n in neighbours.items() if len(n) == 1]
    first = start if start in neighbours and (start in ends or not ends) else (ends or list(neighbours))[0]
    order, seen = [first], {first}
    while True:
        following = [n for n in neighbours[order[-1]] if n not in seen]
        if not following:
            break
        order.append(following[0])
        seen.add(following[0])
    order += [p for p in neighbours if p not in seen]  # not a simple chain: the rest in a row
    return order


def short(text: str, most: int = LABEL_CHARS) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def layout(
    path: EvidencePath, names: Mapping[str, str], applicant: str, providers: frozenset[str] = frozenset()
) -> Graph:
    """The path as a row of parties from the applicant's side, each named if its name is known."""
    parties = chain(path.edges, start=applicant)
    y = PAD + 18  # room above the boxes for the relation labels
    nodes = tuple(
        Node(
            p,
            short(names.get(p, "")),
            PAD + i * (NODE_W + GAP),
            y,
            "applicant" if p == applicant else "provider" if p in providers else "other",
        )
        for i, p in enumerate(parties)
    )
    at = {n.party: n for n in nodes}
    links = []
    for e in path.edges:
        a, b = at[e.source], at[e.target]
        left, right = (a, b) if a.x <= b.x else (b, a)
        links.append(Link(left.x + NODE_W, right.x, y + NODE_H // 2, e.kind, e.pct, left is a))
    width = PAD * 2 + len(nodes) * NODE_W + max(len(nodes) - 1, 0) * GAP
    return Graph(
        path.relation, path.summary, path.effective_pct, width, y + NODE_H + PAD, nodes, tuple(links)
    )
