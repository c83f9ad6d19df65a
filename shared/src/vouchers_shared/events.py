"""Event payloads (the JSON bodies); the CloudEvents envelope travels in Kafka headers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding
from vouchers_shared.types import Money, Rate

M = TypeVar("M", bound=BaseModel)


def tolerant(model: type[M], data: Any) -> M:
    """`data` read as `model` with every field this version does not know ignored, at every
    level: how events, and the copies of them a service stores, are read. So a producer one
    step ahead (an optional field added inside a vN, in the application it embeds too) never
    sends an older consumer's records to the dead-letter topic, while intake still refuses
    unknown fields in what it is sent over HTTP (the models' own, strict, configuration)."""
    return model.model_validate(data, extra="ignore")


class Event(BaseModel):
    """Consumers ignore fields they do not know (schema evolution inside a vN): see `tolerant`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    applicant_uscc: str


class ApplicationSubmitted(Event):
    submitted_at: datetime
    application: Application


class ContractCoi(BaseModel):
    model_config = ConfigDict(frozen=True)

    contract_no: str
    provider_uscc: str
    outcome: Literal["clear", "conflict", "review"]


class CoiAssessed(Event):
    outcome: Literal["clear", "conflict", "review"]
    contracts: list[ContractCoi]
    findings: list[Finding]
    refdata_versions: dict[str, str] = Field(default_factory=dict)
    assessed_at: datetime


class ContractVoucher(BaseModel):
    model_config = ConfigDict(frozen=True)

    contract_no: str
    amount_cny: Money
    voucher_cny: Money


class Voucher(BaseModel):
    model_config = ConfigDict(frozen=True)

    rate: Rate
    eligible_spend_cny: Money
    total_cny: Money
    by_contract: list[ContractVoucher]


class EligibilityAssessed(Event):
    outcome: Literal["pass", "fail", "review"]
    findings: list[Finding]
    voucher: Voucher | None = None
    refdata_versions: dict[str, str] = Field(default_factory=dict)
    assessed_at: datetime
    settles_review: str | None = None
    """Set on the verdict that answers an operator's passed review (`review.passed`): the
    voucher reserved against the yearly room left at that moment, or the failure when none is."""


class VerificationCompleted(Event):
    outcome: Literal["pending", "verified", "failed", "review"]
    findings: list[Finding]
    refdata_versions: dict[str, str] = Field(default_factory=dict)
    completed_at: datetime


CaseStatus = Literal["awaiting_notice", "needs_review", "rejected"]


class CaseDecided(Event):
    """A case's decision; `final` rejections release the applicant's ledger reservation."""

    status: CaseStatus
    final: bool
    failed_rules: list[Finding] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    decided_at: datetime
    decided_by: str = "system"
    note: str | None = None


class ReviewPassed(Event):
    """An operator passed a case held for review; eligibility now reserves its voucher."""

    review_id: str
    decided_at: datetime
    decided_by: str
    note: str | None = None


class VoucherApproved(Event):
    notice_id: str
    approved_on: date
    total_cny: Money
    approved_at: datetime


class NoticePublished(Event):
    """One application entering a public-notice batch (one event per application)."""

    notice_id: str
    starts_on: date
    ends_on: date
    published_at: datetime


class ObjectionRaised(Event):
    notice_id: str
    objection_id: str
    raised_at: datetime


class ObjectionResolved(Event):
    notice_id: str
    objection_id: str
    upheld: bool
    resolved_at: datetime
    resolved_by: str
