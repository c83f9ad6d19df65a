"""Findings' wordings by key (`registry`), with every rule's wording registered on import."""

from vouchers_shared.wording import amounts, applicant, coi, contracts, material_finance, materials
from vouchers_shared.wording.registry import WORDED, Text, Wording, registered, render, say, wording

__all__ = [
    "WORDED",
    "Text",
    "Wording",
    "amounts",
    "applicant",
    "coi",
    "contracts",
    "material_finance",
    "materials",
    "registered",
    "render",
    "say",
    "wording",
]
