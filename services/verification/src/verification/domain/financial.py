"""MAT-FINANCIAL 五(六); 声明二: the financial document, and which audit report's QR code to check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vouchers_shared.application import Application, Material
from vouchers_shared.findings import Finding

from verification.domain.audit_choice import DECLARATION, AuditChoice, choose_audit_report
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


def _capital_reason(app: Application, params: MaterialParams) -> tuple[str, str]:
    cutoff = params.young_enterprise.first_young_registration
    registered = app.applicant.registered_on
    return (
        f"验资报告仅适用于注册未满一年的企业（须于 {cutoff} 或之后注册，本单位注册于 {registered}）",
        "a capital verification report stands in only for an enterprise registered less than "
        f"one year before the guide (on or after {cutoff}; registered {registered})",
    )


def _reasons(app: Application, params: MaterialParams) -> list[tuple[str, str]]:
    if app.applicant.public_institution:
        return [
            (
                "事业单位须提交通过审查的财务决算报表，未提交",
                "a public institution must give its reviewed financial final accounts",
            )
        ]
    reasons = list(choose_audit_report(app, params).not_used)
    if app.materials_of("capital_verification_report"):
        reasons.append(_capital_reason(app, params))
    return reasons


_PASS_TEXT: dict[BasisKind, tuple[str, str]] = {
    "final_accounts": (
        "已提交通过审查的事业单位财务决算报表。",
        "The public institution's financial final accounts were submitted.",
    ),
    "capital_verification": (
        "注册未满一年的企业已提交验资报告。",
        "An enterprise registered less than one year ago gave a capital verification report.",
    ),
}


def _audit_pass_text(year: int, choice: AuditChoice, params: MaterialParams) -> tuple[str, str]:
    zh = f"采用含二维验证码的 {year} 年度财务审计报告"
    en = f"The FY{year} audit report with a QR verification code is used"
    if choice.declared_incomplete:
        preferred = params.audit_fiscal_years[0]
        zh += f"（申请单位声明未完成 {preferred} 年度财务审计）"
        en += f", the applicant declaring its FY{preferred} audit not completed ({DECLARATION})"
    zh += "".join(f"；{r[0]}" for r in choice.not_used) + "。"
    en += "".join(f"; {r[1]}" for r in choice.not_used) + "."
    return zh, en


def financial(app: Application, params: MaterialParams) -> Finding:
    """MAT-FINANCIAL 五(六); 声明二: the financial document the applicant's kind must give."""
    basis = financial_basis(app, params)
    observed, limit = _summary(app), _limit(app, params)
    if basis.kind == "none":
        reasons = _reasons(app, params)
        en = "; ".join(r[1] for r in reasons)
        return finding(
            "MAT-FINANCIAL",
            "fail",
            "；".join(r[0] for r in reasons) + "。",
            en[:1].upper() + en[1:] + ".",
            observed=observed,
            limit=limit,
        )
    if basis.qr is not None:
        zh, en = _audit_pass_text(basis.qr.fiscal_year, choose_audit_report(app, params), params)
    else:
        zh, en = _PASS_TEXT[basis.kind]
    return finding("MAT-FINANCIAL", "pass", zh, en, observed=observed, limit=limit)
