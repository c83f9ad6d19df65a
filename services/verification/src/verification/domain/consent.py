"""The consent record kept for the compute-audit consent (训力审计同意书, 五(九))."""

from __future__ import annotations

from datetime import datetime

from vouchers_shared.application import Application

from verification.domain.documents import best_marked
from verification.domain.materials import SIGNED_AND_STAMPED
from verification.domain.model import ConsentRecord


def consent_record(
    application: Application, application_id: str, received_at: datetime
) -> ConsentRecord | None:
    """The record of the consent document as received, or None when none was filed.

    A flawed consent (unsigned or unstamped) is recorded too, with what it lacks, so the
    record shows what the applicant actually gave; MAT-AUDIT-CONSENT fails it separately.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    document = best_marked(application.materials_of("audit_consent"), SIGNED_AND_STAMPED)
    if document is None:
        return None
    signed = document.signed_by_legal_rep is True
    return ConsentRecord(
        application_id=application_id,
        applicant_uscc=application.applicant.uscc,
        signed_by=application.applicant.legal_representative.person_id if signed else None,
        document_sha256=document.sha256,
        stamped=document.stamped is True,
        signed_by_legal_rep=signed,
        received_at=received_at,
    )
