"""Reference data kinds loaded by operators and published as versioned snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_serializer,
)

from vouchers_shared.application import OfficerRole, ServiceType
from vouchers_shared.types import Money, Percent, Uscc

Batch = Literal[1, 2, 3]
SERVICE_TYPES: tuple[ServiceType, ...] = get_args(ServiceType)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Admission(Item):
    """A provider admitted again, in a later batch, for new service items (包含新增服务事项)."""

    batch: Batch
    service_types: tuple[ServiceType, ...] = Field(min_length=1)

    @field_validator("service_types")
    @classmethod
    def _each_once(cls, types: tuple[ServiceType, ...]) -> tuple[ServiceType, ...]:
        twice = sorted({t for t in types if types.count(t) > 1})
        if twice:
            raise ValueError(f"names {', '.join(twice)} more than once")
        return types


class ProviderItem(Item):
    """A registered provider (入库服务机构): admitted in `batch` for its service items, and
    again in a later batch for each service item an entry of `admissions` adds.

    A service item's batch, whose window its contracts must keep (三(二)注), is the earliest
    admission naming it, or `batch` for an item no admission names. A plain row (no
    `admissions`) is one admission covering every service item."""

    uscc: Uscc
    name: str = Field(min_length=1, max_length=200)
    batch: Batch
    admissions: tuple[Admission, ...] = Field(default=(), max_length=10)

    @field_validator("admissions")
    @classmethod
    def _later_and_leaving_the_first(
        cls, admissions: tuple[Admission, ...], info: ValidationInfo
    ) -> tuple[Admission, ...]:
        first = info.data.get("batch")
        if first is None:
            return admissions  # the row's own batch is refused already
        for n, a in enumerate(admissions):
            if a.batch <= first:
                raise ValueError(
                    f"admission {n} is in batch {a.batch}, not after the provider's first batch "
                    f"{first}; an admission adds service items in a later batch"
                )
        if admissions and set(SERVICE_TYPES) <= {t for a in admissions for t in a.service_types}:
            raise ValueError(
                f"the admissions name every service type ({', '.join(SERVICE_TYPES)}), leaving "
                f"none to the first batch {first}; give the earliest admission as `batch`"
            )
        return admissions

    @model_serializer(mode="wrap")
    def _plain_row_stays_plain(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A row without admissions is stored as it was given, so that snapshots of plain rows
        # read the same before and after `admissions` existed.
        dumped = handler(self)
        if not self.admissions and isinstance(dumped, dict):
            dumped.pop("admissions", None)
        return dumped

    def batch_of(self, service_type: ServiceType) -> int:
        """The batch that admitted this service item."""
        added = [a.batch for a in self.admissions if service_type in a.service_types]
        return min(added, default=self.batch)


@dataclass(frozen=True)
class ProviderBatches:
    """The batch in which each service item of one registered provider was admitted."""

    by_service_type: dict[ServiceType, int]

    @classmethod
    def of(cls, rows: Sequence[ProviderItem]) -> ProviderBatches:
        """One provider's batches from its rows; the earliest batch admitting an item wins."""
        # A provider has one row (refused otherwise at load); a snapshot stored before that was
        # enforced may still repeat one, and is merged, not refused, so no consumer stalls on it.
        # The earliest batch is the item's first admission and the widest window.
        return cls({t: min(r.batch_of(t) for r in rows) for t in SERVICE_TYPES})

    @property
    def first_batch(self) -> int:
        """The batch the provider was first admitted in."""
        return min(self.by_service_type.values())

    def batch_of(self, service_type: ServiceType) -> int:
        """The batch whose window a contract for this service item must keep."""
        return self.by_service_type[service_type]


def provider_register(items: Sequence[Item]) -> dict[str, ProviderBatches]:
    """Registered provider USCC → the batch of each of its service items."""
    rows: dict[str, list[ProviderItem]] = {}
    for item in items:
        if isinstance(item, ProviderItem):
            rows.setdefault(item.uscc, []).append(item)
    return {uscc: ProviderBatches.of(listed) for uscc, listed in rows.items()}


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


@dataclass(frozen=True)
class TableProblem:
    """A load refused for what its rows say together, not any one row: names the row."""

    index: int
    field: str
    code: str
    message: str


def _providers_listed_once(items: Sequence[Item]) -> list[TableProblem]:
    first_row: dict[str, int] = {}
    problems: list[TableProblem] = []
    for n, item in enumerate(items):
        if not isinstance(item, ProviderItem):
            continue
        if item.uscc in first_row:
            problems.append(
                TableProblem(
                    n,
                    "uscc",
                    "DUPLICATE_PROVIDER",
                    f"provider {item.uscc} is listed again (first in row {first_row[item.uscc]}); "
                    "give one row per provider, with later admissions under `admissions`",
                )
            )
        else:
            first_row[item.uscc] = n
    return problems


_TABLE_CHECKS = {"providers": _providers_listed_once}


def table_problems(kind: str, items: Sequence[Item]) -> list[TableProblem]:
    """What makes a kind's validated rows unusable together (a provider listed twice)."""
    check = _TABLE_CHECKS.get(kind)
    return check(items) if check is not None else []


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
