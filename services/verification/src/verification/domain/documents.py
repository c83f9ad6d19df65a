"""Checks shared by several rules: a document is present, signed and stamped as required."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vouchers_shared.application import Material
from vouchers_shared.findings import Finding
from vouchers_shared.wording import Text, say

from verification.domain.rulebook import finding

ABSENT = "absent"
PRESENT = "present"


@dataclass(frozen=True)
class Marks:
    """Which marks a document must carry: the legal representative's signature, the seal."""

    signature: bool
    stamp: bool

    def limit(self) -> str:
        parts = (["signed_by_legal_rep=true"] if self.signature else []) + (
            ["stamped=true"] if self.stamp else []
        )
        return ", ".join(parts)

    def codes(self) -> list[str]:
        """The marks required, as their wording names them (`signature`, `stamp`)."""
        return (["signature"] if self.signature else []) + (["stamp"] if self.stamp else [])


def _missing_marks(material: Material, marks: Marks) -> list[str]:
    missing: list[str] = []
    if marks.signature and material.signed_by_legal_rep is not True:
        missing.append("signature")
    if marks.stamp and material.stamped is not True:
        missing.append("stamp")
    return missing


def _observed_marks(material: Material, marks: Marks) -> str:
    parts: list[str] = []
    if marks.signature:
        parts.append(f"signed_by_legal_rep={str(material.signed_by_legal_rep is True).lower()}")
    if marks.stamp:
        parts.append(f"stamped={str(material.stamped is True).lower()}")
    return ", ".join(parts)


def best_marked(materials: Sequence[Material], marks: Marks) -> Material | None:
    """The first document carrying every required mark, else the first one given."""
    for material in materials:
        if not _missing_marks(material, marks):
            return material
    return materials[0] if materials else None


def _marks_text(rule: str, material: Material, marks: Marks, doc: str) -> tuple[bool, Text]:
    """Whether the marks are all there, and the text saying so or what is missing."""
    missing = _missing_marks(material, marks)
    if missing:
        return False, say(f"{rule}.missing_marks", doc=doc, missing=",".join(missing))
    return True, say(f"{rule}.submitted", doc=doc, marks=",".join(marks.codes()))


def marked_document(rule: str, materials: Sequence[Material], doc: str, marks: Marks) -> Finding:
    """Pass when a document is given and carries the marks it must carry; fail otherwise.

    `doc` is the document's material kind, which names it in the finding's wording.
    """
    limit = f"{PRESENT}, {marks.limit()}" if marks.signature or marks.stamp else PRESENT
    material = best_marked(materials, marks)
    if material is None:
        return finding(rule, "fail", say(f"{rule}.absent", doc=doc), observed=ABSENT, limit=limit)
    ok, text = _marks_text(rule, material, marks, doc)
    observed = f"{PRESENT}, {_observed_marks(material, marks)}".rstrip(", ")
    return finding(rule, "pass" if ok else "fail", text, observed=observed, limit=limit)
