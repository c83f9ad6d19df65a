"""MAT-FINANCIAL 五(六); 声明二: the financial document, and which audit report's QR code to check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vouchers_shared.application import Application, Material
from vouchers_shared.findings import Finding
from vouchers_shared.wording import Text, say

from verification.domain.audit_choice import choose_audit_report
from verification.domain.model import MaterialParams, QrQuery
from verification.domain.rulebook import finding

BasisKind = Literal["final_accounts", "audit_report", "capital_verification", "none"]


@dataclass(frozen=True)
class FinancialBasis:
    """The document the financial requirement rests on; `qr` is set for an audit report."""

    kind: BasisKind
    material: Material | None = None
    qr: QrQuery | None = None


def is_young_enterprise(app: Application, params: MaterialParams) -> bool:
    """An enterprise registered less than one year before the guide was published."""
    return params.young_enterprise.includes(app.applicant)


def _audit_report(app: Application, params: MaterialParams) -> FinancialBasis | None:
    """The audit report that counts (see `audit_choice`), with its QR code to check."""
    report = choose_audit_report(app, params).used
    if report is None or report.qr_code is None or report.fiscal_year is None:
        return None
    query = QrQuery(qr_code=report.qr_code, uscc=app.applicant.uscc, fiscal_year=report.fiscal_year)
    return FinancialBasis("audit_report", report, query)


def financial_basis(app: Application, params: MaterialParams) -> FinancialBasis:
    """Which document meets 五(六): final accounts, a capital verification, or an audit report.

    A young enterprise that gave a capital verification report rests on it, so a QR code on
    an audit report it also filed is not needed (声明二 only says such a report is not used).
    """
    if app.applicant.public_institution:
        accounts = app.materials_of("financial_final_accounts")
        return FinancialBasis("final_accounts", accounts[0]) if accounts else FinancialBasis("none")
    capital = app.materials_of("capital_verification_report")
    if capital and is_young_enterprise(app, params):
        return FinancialBasis("capital_verification", capital[0])
    return _audit_report(app, params) or FinancialBasis("none")


def qr_queries(app: Application, *, params: MaterialParams) -> list[QrQuery]:
    """The QR codes to ask the CPA platform about: the audit report the application rests on."""
    basis = financial_basis(app, params)
    return [basis.qr] if basis.qr is not None else []


def _summary(app: Application) -> str:
    parts: list[str] = []
    for m in app.materials:
        if m.kind == "audit_report":
            parts.append(f"audit_report FY{m.fiscal_year} qr={'yes' if m.qr_code else 'no'}")
        elif m.kind in ("capital_verification_report", "financial_final_accounts"):
            parts.append(m.kind)
    if app.declarations.fy2025_audit_incomplete:
        parts.append("fy2025_audit_incomplete=true")
    return "; ".join(parts) or "absent"


def _limit(app: Application, params: MaterialParams) -> str:
    if app.applicant.public_institution:
        return "financial_final_accounts"
    preferred, *later = params.audit_fiscal_years
    limit = f"audit_report FY{preferred} with qr_code"
    if later:
        limit += f" (FY{'|'.join(map(str, later))} if fy2025_audit_incomplete)"
    if is_young_enterprise(app, params):
        limit += " or capital_verification_report"
    return limit


def _failure(app: Application, params: MaterialParams) -> Text:
    """Why no financial document meets 五(六): each audit report's reason, then the capital
    verification report's, which stands in only for a young enterprise."""
    if app.applicant.public_institution:
        return say("MAT-FINANCIAL.no_final_accounts")
    reasons = list(choose_audit_report(app, params).not_used)
    years = ",".join(map(str, params.audit_fiscal_years))
    if not app.materials_of("capital_verification_report"):
        return say("MAT-FINANCIAL.fail", reasons=",".join(reasons), years=years)
    return say(
        "MAT-FINANCIAL.fail",
        reasons=",".join([*reasons, "capital"]),
        years=years,
        cutoff=str(params.young_enterprise.first_young_registration),
        registered=str(app.applicant.registered_on),
    )


def _audit_pass(year: int, app: Application, params: MaterialParams) -> Text:
    choice = choose_audit_report(app, params)
    variant = "audit_report_declared" if choice.declared_incomplete else "audit_report"
    return say(
        f"MAT-FINANCIAL.{variant}",
        year=str(year),
        years=",".join(map(str, params.audit_fiscal_years)),
        reasons=",".join(choice.not_used),
    )


def financial(app: Application, params: MaterialParams) -> Finding:
    """MAT-FINANCIAL 五(六); 声明二: the financial document the applicant's kind must give."""
    basis = financial_basis(app, params)
    observed, limit = _summary(app), _limit(app, params)
    if basis.kind == "none":
        return finding("MAT-FINANCIAL", "fail", _failure(app, params), observed=observed, limit=limit)
    if basis.qr is not None:
        text = _audit_pass(basis.qr.fiscal_year, app, params)
    else:
        text = say(f"MAT-FINANCIAL.{basis.kind}")
    return finding("MAT-FINANCIAL", "pass", text, observed=observed, limit=limit)
