"""What intake's HTTP API answers when it succeeds (errors are problems: vouchers_shared.problems)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from vouchers_shared.events import Voucher
from vouchers_shared.findings import ShownFinding

Status = Literal[
    "received",
    "checking",
    "needs_review",
    "rejected",
    "awaiting_notice",
    "in_public_notice",
    "objection_raised",
    "approved",
]
Outcome = Literal["pending", "pass", "fail", "review", "clear", "conflict", "verified", "failed"]


class Accepted(BaseModel):
    application_id: str
    status: Literal["received"] = "received"


class CheckView(BaseModel):
    outcome: Outcome = Field(
        description="eligibility: pending, pass, fail, review; conflict of "
        "interest: pending, clear, conflict, review; verification: "
        "pending, verified, failed, review"
    )
    findings: list[ShownFinding]
    refdata_versions: dict[str, str] = Field(
        description="the reference-data snapshot of each kind the verdict was reached on"
    )


class Checks(BaseModel):
    eligibility: CheckView
    conflict_of_interest: CheckView
    verification: CheckView


class NoticeRef(BaseModel):
    notice_id: str
    starts_on: date
    ends_on: date


class TimelineStep(BaseModel):
    at: datetime
    event: str


class ApplicationView(BaseModel):
    """One application as its readers see it."""

    application_id: str
    applicant_uscc: str | None
    status: Status
    status_label: str = Field(description="the status in the program's own words (待窗口受理, ...)")
    checks: Checks
    voucher: Voucher | None
    notice: NoticeRef | None
    approved_on: date | None
    timeline: list[TimelineStep]
    working_days_elapsed: int | None = Field(
        description="working days since acceptance, the public-notice period left out (十); "
        "null while a year's working days are not known"
    )


class ApplicationDetail(ApplicationView):
    """One application read alone: also the application as filed (applicant, project,
    contracts, materials), as the operators' console shows it."""

    application: dict[str, Any] | None = Field(
        default=None, description="the application as filed; null while intake has not stored it"
    )


class ApplicationPage(BaseModel):
    items: list[ApplicationView]
    total: int
    page: int
    page_size: int


class RefdataLoaded(BaseModel):
    kind: str
    version: str
    items: int


class IssuedToken(BaseModel):
    token: str
