"""Relations rendered as evidence paths, in a stable order."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from vouchers_shared.findings import EvidenceEdge, EvidencePath

from eligibility.domain.coi.graph import Link, Party
from eligibility.domain.coi.relations import Relation

_SHOWN = Decimal("0.0001")
_CENTS = Decimal("0.01")


def pct_text(value: Decimal) -> str:
    """A percentage as text, at least two places, at most four (cut, never rounded up).

    Cutting keeps the text on the same side of any threshold of four places or fewer.
    """
    shown = value.quantize(_SHOWN, rounding=ROUND_DOWN)
    if shown == shown.quantize(_CENTS):
        shown = shown.quantize(_CENTS)
    return f"{shown:f}"


def _edge(link: Link) -> EvidenceEdge:
    return EvidenceEdge(
        source=link.source[1],
        target=link.target[1],
        kind=link.kind,
        pct=None if link.pct is None else pct_text(link.pct),
        origin=link.origin,
    )


def _label(nodes: tuple[Party, ...], index: int) -> str:
    if nodes[index] == nodes[0]:
        return "applicant"
    if nodes[index] == nodes[-1]:
        return "provider"
    return nodes[index][1]


def summary(relation: Relation) -> str:
    """The path in words, e.g. `applicant ←35.00%— 91440303MA5K000049 —25.00%→ provider`."""
    nodes = relation.nodes
    parts = [_label(nodes, 0)]
    for index, link in enumerate(relation.links):
        what = link.kind if link.pct is None else f"{pct_text(link.pct)}%"
        rightward = link.source == nodes[index]
        parts.append(f"—{what}→" if rightward else f"←{what}—")
        parts.append(_label(nodes, index + 1))
    return " ".join(parts)


def evidence_path(relation: Relation) -> EvidencePath:
    """One relation as the evidence path carried by a finding."""
    pct = relation.effective_pct
    return EvidencePath(
        relation=relation.kind,
        summary=summary(relation),
        effective_pct=None if pct is None else pct_text(pct),
        edges=[_edge(link) for link in relation.links],
    )


def _order(relation: Relation) -> tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]:
    nodes = tuple(node[1] for node in relation.nodes)
    links = tuple(
        (link.source[1], link.target[1], link.kind, str(link.pct or ""), link.origin)
        for link in relation.links
    )
    return (relation.kind, nodes, links)


def evidence(relations: Iterable[Relation]) -> list[EvidencePath]:
    """Every relation as an evidence path, sorted by relation, then node sequence, then edges."""
    return [evidence_path(r) for r in sorted(relations, key=_order)]
