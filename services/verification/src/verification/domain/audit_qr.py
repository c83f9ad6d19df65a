"""MAT-AUDIT-QR 声明二: the audit report's QR code is registered with the CPA supervision platform."""

from __future__ import annotations

from collections.abc import Mapping

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding, Result
from vouchers_shared.wording import Text, say

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
            say("MAT-AUDIT-QR.no_report"),
            observed="no qr_code",
            limit="registered with the CPA platform",
        )
    return _qr_answered(basis.qr, qr_answers.get(basis.qr.qr_code))


def _qr_not_applicable(app: Application) -> Finding:
    variant = "public_institution" if app.applicant.public_institution else "young_enterprise"
    text = say(f"MAT-AUDIT-QR.{variant}")
    return finding("MAT-AUDIT-QR", "pass", text, observed="not applicable", limit="n/a")


def _qr_text(qr: str, year: int, answer: QrAnswer | None) -> tuple[Result, Text]:
    if answer is QrAnswer.REGISTERED:
        return "pass", say("MAT-AUDIT-QR.registered", qr=qr, year=str(year))
    if answer is QrAnswer.NOT_REGISTERED:
        return "fail", say("MAT-AUDIT-QR.not_registered", qr=qr, year=str(year))
    return "pending", say("MAT-AUDIT-QR.pending", qr=qr)


def _qr_answered(query: QrQuery, answer: QrAnswer | None) -> Finding:
    """Registered: pass; not registered: fail; no answer (yet): pending."""
    qr, year = query.qr_code, query.fiscal_year
    result, text = _qr_text(qr, year, answer)
    observed = f"qr_code={qr}, fiscal_year={year}, platform={answer or 'not asked'}"
    limit = f"registered for {query.uscc} FY{year}"
    return finding("MAT-AUDIT-QR", result, text, observed=observed, limit=limit)
