"""The application as filed (POST /v1/applications): the contract every service reads."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from vouchers_shared.types import Money, Percent, Uscc

OrgType = Literal[
    "enterprise", "university", "research_institute", "social_organization", "individual", "other"
]
OfficerRole = Literal["legal_representative", "director", "supervisor", "senior_manager", "employee"]
ServiceType = Literal["training", "inference"]
TrainingKind = Literal["pretraining", "sft", "rl", "other"]
MaterialKind = Literal[
    "application_form",
    "business_license",
    "institution_certificate",
    "service_contract",
    "usage_scenario_statement",
    "personnel_certificates",
    "audit_report",
    "capital_verification_report",
    "financial_final_accounts",
    "tax_payment_certificate",
    "commitment_letter",
    "audit_consent",
    "ethics_approval",
]

ShortText = Field(min_length=1, max_length=200)
PersonId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
# Invisible characters that have no place in what the applicant files: controls (NUL
# included), format characters (bidi overrides and isolates, RTL and zero-width marks),
# surrogates, private-use and unassigned code points.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def _visible(value: str, allowed: str = "") -> str:
    for char in value:
        if unicodedata.category(char) in _INVISIBLE and char not in allowed:
            raise ValueError(f"contains the invisible or control character U+{ord(char):04X}")
    return value


Text = Annotated[str, AfterValidator(_visible)]
"""One line of text the applicant wrote: visible characters only."""
LongText = Annotated[str, AfterValidator(lambda value: _visible(value, allowed="\n\r\t"))]
"""Text that may run over several lines (a description)."""


class Strict(BaseModel):
    """Refuses unknown fields and is immutable once validated: what intake takes over HTTP.

    An event embedding these models is read with `vouchers_shared.events.tolerant` instead,
    which ignores the fields a newer producer added, at every level.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Person(Strict):
    person_id: str = PersonId
    name: Text = ShortText


class Officer(Person):
    role: OfficerRole


class Shareholder(Strict):
    holder_id: str = PersonId
    kind: Literal["company", "person"]
    name: Text = ShortText
    pct: Percent


class Contact(Strict):
    name: Text = ShortText
    email: Text = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    mobile: str = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9-]+$")


class Applicant(Strict):
    name: Text = ShortText
    uscc: Uscc
    org_type: OrgType
    independent_legal_person: StrictBool
    public_institution: StrictBool
    registered_on: date
    registered_district: Text = Field(min_length=1, max_length=50)
    legal_representative: Person
    officers: list[Officer] = Field(default_factory=list, max_length=100)
    shareholders: list[Shareholder] = Field(default_factory=list, max_length=200)
    contact: Contact


class StaffMember(Person):
    qualification: Text = Field(min_length=1, max_length=50)
    full_time_in_shenzhen: StrictBool


class Project(Strict):
    title: Text = ShortText
    lead: StaffMember
    members: list[StaffMember] = Field(default_factory=list, max_length=50)
    ethics_or_safety_involved: StrictBool


class Contract(Strict):
    contract_no: Text = Field(min_length=1, max_length=64)
    provider_uscc: Uscc
    provider_name: Text = ShortText
    signed_on: date
    service_start: date
    service_end: date
    amount_cny: Money
    service_type: ServiceType
    training_kind: TrainingKind | None = None
    description: LongText = Field(default="", max_length=2000)
    other_public_funding_cny: Money = Decimal("0.00")


class Declarations(Strict):
    self_filed: StrictBool
    filed_by_project_lead: StrictBool
    truthful: StrictBool
    # Written out only when declared, so an application that does not declare it is the very
    # same message (and the same idempotency body hash) as before the field existed.
    fy2025_audit_incomplete: StrictBool = Field(
        default=False,
        exclude_if=lambda declared: declared is False,
        description="The applicant has not completed its FY2025 financial audit (未完成2025年度财务"
        "审计报告, 五(六)): only then does an FY2024 audit report count, and then no FY2025 "
        "audit report may be filed beside it.",
    )


class Material(Strict):
    kind: MaterialKind
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signed_by_legal_rep: StrictBool | None = None
    stamped: StrictBool | None = None
    contract_no: Text | None = Field(default=None, min_length=1, max_length=64)
    person_ids: list[Text] | None = Field(default=None, max_length=50)
    fiscal_year: StrictInt | None = Field(default=None, ge=2000, le=2100)
    qr_code: Text | None = Field(default=None, min_length=1, max_length=128)
    year: StrictInt | None = Field(default=None, ge=2000, le=2100)


class Application(Strict):
    program_year: StrictInt = Field(ge=2020, le=2100)
    applicant: Applicant
    project: Project
    contracts: list[Contract] = Field(min_length=1, max_length=100)
    declarations: Declarations
    materials: list[Material] = Field(default_factory=list, max_length=300)

    def materials_of(self, kind: MaterialKind) -> list[Material]:
        """Every material of one kind, in the order filed."""
        return [m for m in self.materials if m.kind == kind]
