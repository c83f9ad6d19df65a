"""Reference data kinds loaded by operators and published as versioned snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from vouchers_shared.application import OfficerRole
from vouchers_shared.types import Money, Percent, Uscc


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ProviderItem(Item):
    uscc: Uscc
    name: str = Field(min_length=1, max_length=200)
    batch: Literal[1, 2, 3]


class HoldingItem(Item):
    holder_id: str = Field(min_length=1, max_length=64)
    holder_kind: Literal["company", "person"]
    held_uscc: Uscc
    pct: Percent


class OfficerItem(Item):
    person_id: str = Field(min_length=1, max_length=64)
    company_uscc: Uscc
    role: OfficerRole


class RestrictionItem(Item):
    uscc: Uscc
    list: Literal["fiscal_funding_ban", "overdue_acceptance", "overdue_refund"]


class PriorYearUnredeemedItem(Item):
    uscc: Uscc
    program_year: int = Field(ge=2020, le=2100)
    unredeemed_cny: Money


class AuditReportItem(Item):
    qr_code: str = Field(min_length=1, max_length=128)
    uscc: Uscc
    fiscal_year: int = Field(ge=2000, le=2100)


ITEM_MODELS: dict[str, type[Item]] = {
    "providers": ProviderItem,
    "holdings": HoldingItem,
    "officers": OfficerItem,
    "restrictions": RestrictionItem,
    "prior_year_unredeemed": PriorYearUnredeemedItem,
    "audit_reports": AuditReportItem,
}

MAX_ITEMS = 200_000
ITEM_LISTS: dict[str, TypeAdapter[list[Item]]] = {
    kind: cast("TypeAdapter[list[Item]]", TypeAdapter(list[model]))  # type: ignore[valid-type]
    for kind, model in ITEM_MODELS.items()
}


class Snapshot(BaseModel):
    """One kind's whole reference data at one version; a new load replaces it."""

    model_config = ConfigDict(frozen=True)

    kind: str
    version: str = Field(description="sortable: <UTC timestamp>-<short hash of the items>")
    loaded_at: datetime
    loaded_by: str
    items: list[dict[str, object]]

    def parsed(self) -> list[Item]:
        """The items validated as their kind's model, fields a newer loader added ignored (intake
        validates a load strictly, before it is published)."""
        return ITEM_LISTS[self.kind].validate_python(self.items, extra="ignore")
