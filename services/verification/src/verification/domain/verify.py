"""The materials verdict: every MAT-* rule over one application, in a stable order."""

from __future__ import annotations

from collections.abc import Mapping

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding

from verification.domain import financial as fin
from verification.domain import materials as mat
from verification.domain.audit_qr import audit_qr
from verification.domain.model import MaterialParams, QrAnswer, VerificationResult
from verification.domain.personnel import personnel
from verification.domain.rulebook import outcome_of


def check_all(
    application: Application, *, qr_answers: Mapping[str, QrAnswer], params: MaterialParams
) -> list[Finding]:
    """Every material finding in the guide's order (五(一) to 五(十)); contracts as declared."""
    return [
        mat.application_form(application),
        mat.license_document(application),
        *mat.contracts(application),
        mat.scenario(application),
        personnel(application),
        fin.financial(application, params),
        audit_qr(application, params, qr_answers),
        mat.tax(application),
        mat.commitment(application),
        mat.audit_consent(application),
        mat.ethics(application),
    ]


def verify(
    application: Application, *, qr_answers: Mapping[str, QrAnswer], params: MaterialParams
) -> VerificationResult:
    """Check the materials; a QR code missing from `qr_answers` counts as not yet answered.

    Outcome: `failed` if any rule fails, else `pending` if any waits on the CPA platform,
    else `review` if any is held for an operator, else `verified`.
    """
    findings = check_all(application, qr_answers=qr_answers, params=params)
    return VerificationResult(outcome=outcome_of(findings), findings=findings)
