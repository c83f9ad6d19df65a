"""Values the materials check works with: parameters, QR queries and answers, its result."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict
from vouchers_shared.findings import Finding
from vouchers_shared.program import ProgramParams
from vouchers_shared.young_enterprise import YoungEnterprise

VerificationOutcome = Literal["pending", "verified", "failed", "review"]


class QrAnswer(StrEnum):
    """What the CPA supervision platform said about one audit report's QR code."""

    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    UNAVAILABLE = "unavailable"


class QrQuery(BaseModel):
    """One QR code to ask the platform about, for the applicant and the report's fiscal year."""

    model_config = ConfigDict(frozen=True)

    qr_code: str
    uscc: str
    fiscal_year: int


@dataclass(frozen=True)
class MaterialParams:
    """Program-year parameters the material rules need (from the program parameters file).

    `audit_fiscal_years`: the fiscal years an audit report may cover, most preferred first
    (2026: 2025, then 2024 for applicants whose 2025 accounts are not audited yet).
    `young_enterprise`: who is an enterprise registered less than one year before the guide's
    publication (2026: on or after 2025-05-01), which may give a capital verification report
    instead of an audit report; the same test eligibility applies for the rate.
    """

    audit_fiscal_years: tuple[int, ...]
    young_enterprise: YoungEnterprise

    def __post_init__(self) -> None:
        if not self.audit_fiscal_years:
            raise ValueError("audit_fiscal_years must name at least one fiscal year")
        if len(set(self.audit_fiscal_years)) != len(self.audit_fiscal_years):
            raise ValueError("audit_fiscal_years must not repeat a year")

    @classmethod
    def from_program(cls, program: ProgramParams) -> MaterialParams:
        """The material parameters of a loaded program year."""
        return cls(
            audit_fiscal_years=program.audit_fiscal_years,
            young_enterprise=YoungEnterprise.of(program),
        )


class VerificationResult(BaseModel):
    """The materials verdict: the outcome and every finding, passed ones included."""

    model_config = ConfigDict(frozen=True)

    outcome: VerificationOutcome
    findings: list[Finding]

    def of_rule(self, rule: str) -> list[Finding]:
        """The findings of one rule, in order (MAT-CONTRACT has one per contract)."""
        return [f for f in self.findings if f.rule == rule]

    def failed_rules(self) -> list[str]:
        """The rule ids that failed, each once, in finding order."""
        return list(dict.fromkeys(f.rule for f in self.findings if f.result == "fail"))


class ConsentRecord(BaseModel):
    """The compute-audit consent (训力审计同意书) as received, kept as evidence of consent.

    `signed_by` is the legal representative's person id when the document carries the legal
    representative's signature, and None when it does not.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: str
    applicant_uscc: str
    signed_by: str | None
    document_sha256: str
    stamped: bool
    signed_by_legal_rep: bool
    received_at: AwareDatetime

    @property
    def valid(self) -> bool:
        """Signed by the legal representative and stamped, as 五(九) requires."""
        return self.signed_by_legal_rep and self.stamped
