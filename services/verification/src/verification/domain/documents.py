"""Checks shared by several rules: a document is present, signed and stamped as required."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vouchers_shared.application import Material
from vouchers_shared.findings import Finding

from verification.domain.rulebook import finding

ABSENT = "absent"
PRESENT = "present"

_DONE: dict[tuple[bool, bool], tuple[str, str]] = {
    (True, True): (
        "，经法定代表人签名并加盖公章",
        ", signed by the legal representative and stamped",
    ),
    (False, True): ("，已加盖公章", ", stamped"),
}


@dataclass(frozen=True)
class DocName:
    """How a document is called in findings, in Chinese and English."""

    zh: str
    en: str


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


def _missing_marks(material: Material, marks: Marks) -> list[tuple[str, str]]:
    missing: list[tuple[str, str]] = []
    if marks.signature and material.signed_by_legal_rep is not True:
        missing.append(("法定代表人签名", "the legal representative's signature"))
    if marks.stamp and material.stamped is not True:
        missing.append(("公章", "the official seal"))
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


def _marks_text(material: Material, marks: Marks, name: DocName) -> tuple[bool, str, str]:
    """Whether the marks are all there, and the message saying so or what is missing."""
    missing = _missing_marks(material, marks)
    if missing:
        zh = "、".join(m[0] for m in missing)
        en = " and ".join(m[1] for m in missing)
        return False, f"{name.zh}缺少{zh}。", f"The {name.en} lacks {en}."
    done_zh, done_en = _DONE.get((marks.signature, marks.stamp), ("", ""))
    return True, f"已提交{name.zh}{done_zh}。", f"The {name.en} was submitted{done_en}."


def marked_document(rule: str, materials: Sequence[Material], name: DocName, marks: Marks) -> Finding:
    """Pass when a document is given and carries the marks it must carry; fail otherwise."""
    limit = f"{PRESENT}, {marks.limit()}" if marks.signature or marks.stamp else PRESENT
    material = best_marked(materials, marks)
    if material is None:
        zh, en = f"未提交{name.zh}。", f"No {name.en} was submitted."
        return finding(rule, "fail", zh, en, observed=ABSENT, limit=limit)
    ok, zh, en = _marks_text(material, marks, name)
    observed = f"{PRESENT}, {_observed_marks(material, marks)}".rstrip(", ")
    return finding(rule, "pass" if ok else "fail", zh, en, observed=observed, limit=limit)
