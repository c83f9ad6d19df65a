"""The application as filed (POST /v1/applications): the contract every service reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Strict(BaseModel):
    """Refuses unknown fields and is immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Person(Strict):
    person_id: str = PersonId
    name: str = ShortText


class Officer(Person):
    role: OfficerRole


class Shareholder(Strict):
    holder_id: str = PersonId
    kind: Literal["company", "person"]
    name: str = ShortText
    pct: Percent


class Contact(Strict):
    name: str = ShortText
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    mobile: str = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9-]+$")


class Applicant(Strict):
    name: str = ShortText
    uscc: Uscc
    org_type: OrgType
    independent_legal_person: bool
    public_institution: bool
    registered_on: date
    registered_district: str = Field(min_length=1, max_length=50)
    legal_representative: Person
    officers: list[Officer] = Field(default_factory=list, max_length=100)
    shareholders: list[Shareholder] = Field(default_factory=list, max_length=200)
    contact: Contact


class StaffMember(Person):
    qualification: str = Field(min_length=1, max_length=50)
    full_time_in_shenzhen: bool


class Project(Strict):
    title: str = ShortText
    lead: StaffMember
    members: list[StaffMember] = Field(default_factory=list, max_length=50)
    ethics_or_safety_involved: bool


class Contract(Strict):
    contract_no: str = Field(min_length=1, max_length=64)
    provider_uscc: Uscc
    provider_name: str = ShortText
    signed_on: date
    service_start: date
    service_end: date
    amount_cny: Money
    service_type: ServiceType
    training_kind: TrainingKind | None = None
    description: str = Field(default="", max_length=2000)
    other_public_funding_cny: Money = Decimal("0.00")


class Declarations(Strict):
    self_filed: bool
    filed_by_project_lead: bool
    truthful: bool


class Material(Strict):
    kind: MaterialKind
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signed_by_legal_rep: bool | None = None
    stamped: bool | None = None
    contract_no: str | None = Field(default=None, min_length=1, max_length=64)
    person_ids: list[str] | None = Field(default=None, max_length=50)
    fiscal_year: int | None = Field(default=None, ge=2000, le=2100)
    qr_code: str | None = Field(default=None, min_length=1, max_length=128)
    year: int | None = Field(default=None, ge=2000, le=2100)


class Application(Strict):
    program_year: int = Field(ge=2020, le=2100)
    applicant: Applicant
    project: Project
    contracts: list[Contract] = Field(min_length=1, max_length=100)
    declarations: Declarations
    materials: list[Material] = Field(default_factory=list, max_length=300)

    def materials_of(self, kind: MaterialKind) -> list[Material]:
        """Every material of one kind, in the order filed."""
        return [m for m in self.materials if m.kind == kind]
