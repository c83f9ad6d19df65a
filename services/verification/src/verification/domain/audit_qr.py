"""MAT-AUDIT-QR 声明二: the audit report's QR code is registered with the CPA supervision platform."""

from __future__ import annotations

from collections.abc import Mapping

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding, Result

from verification.domain.financial import financial_basis
from verification.domain.model import MaterialParams, QrAnswer, QrQuery
from verification.domain.rulebook import finding


def audit_qr(app: Application, params: MaterialParams, qr_answers: Mapping[str, QrAnswer]) -> Finding:
    """MAT-AUDIT-QR 声明二: the audit report's QR code is registered for this USCC and year."""
    basis = financial_basis(app, params)
    if app.applicant.public_institution or basis.kind == "capital_verification":
        return _qr_not_applicable(app)
    if basis.qr is None:
        return finding(
            "MAT-AUDIT-QR",
            "fail",
            "没有可核验二维验证码的财务审计报告（见 MAT-FINANCIAL）。",
            "There is no audit report with a QR verification code to check (see MAT-FINANCIAL).",
            observed="no qr_code",
            limit="registered with the CPA platform",
        )
    return _qr_answered(basis.qr, qr_answers.get(basis.qr.qr_code))


def _qr_not_applicable(app: Application) -> Finding:
    if app.applicant.public_institution:
        zh, en = (
            "事业单位提供财务决算报表，无需核验审计报告二维验证码。",
            "Not applicable: a public institution gives final accounts, not an audit report.",
        )
    else:
        zh, en = (
            "注册未满一年的企业以验资报告代替审计报告，无需核验二维验证码。",
            "Not applicable: a young enterprise gave a capital verification report instead.",
        )
    return finding("MAT-AUDIT-QR", "pass", zh, en, observed="not applicable", limit="n/a")


def _qr_text(qr: str, year: int, answer: QrAnswer | None) -> tuple[Result, str, str]:
    if answer is QrAnswer.REGISTERED:
        return (
            "pass",
            f"审计报告二维验证码 {qr} 已在注册会计师行业统一监管平台备案。",
            f"QR code {qr} is registered with the CPA supervision platform for FY{year}.",
        )
    if answer is QrAnswer.NOT_REGISTERED:
        return (
            "fail",
            f"审计报告二维验证码 {qr} 未在注册会计师行业统一监管平台备案为本单位 {year} 年度报告，不予采用。",
            f"QR code {qr} is not registered with the CPA supervision platform for this "
            f"applicant and FY{year}; the report cannot be used.",
        )
    return (
        "pending",
        f"正在向注册会计师行业统一监管平台核验二维验证码 {qr}，平台尚未应答。",
        f"Waiting for the CPA supervision platform to answer about QR code {qr}.",
    )


def _qr_answered(query: QrQuery, answer: QrAnswer | None) -> Finding:
    """Registered: pass; not registered: fail; no answer (yet): pending."""
    qr, year = query.qr_code, query.fiscal_year
    result, zh, en = _qr_text(qr, year, answer)
    observed = f"qr_code={qr}, fiscal_year={year}, platform={answer or 'not asked'}"
    limit = f"registered for {query.uscc} FY{year}"
    return finding("MAT-AUDIT-QR", result, zh, en, observed=observed, limit=limit)
