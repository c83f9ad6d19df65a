"""The consent record kept for the compute-audit consent (训力审计同意书, 五(九))."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from verification.domain.consent import consent_record
from verification_testkit import AppBuilder

RECEIVED = datetime(2026, 5, 20, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def test_a_signed_and_stamped_consent_is_recorded_with_the_legal_representative() -> None:
    app = AppBuilder.example().build()
    [document] = app.materials_of("audit_consent")

    record = consent_record(app, "app-1", RECEIVED)

    assert record is not None
    assert record.model_dump() == {
        "application_id": "app-1",
        "applicant_uscc": "91440305MA5K00010T",
        "signed_by": "lr-approvable",
        "document_sha256": document.sha256,
        "stamped": True,
        "signed_by_legal_rep": True,
        "received_at": RECEIVED,
    }
    assert record.valid


def test_an_unsigned_consent_is_recorded_as_received_and_is_not_valid() -> None:
    app = AppBuilder.example().change("audit_consent", signed_by_legal_rep=False).build()

    record = consent_record(app, "app-1", RECEIVED)

    assert record is not None
    assert (record.signed_by, record.signed_by_legal_rep, record.stamped) == (None, False, True)
    assert not record.valid


def test_no_consent_document_gives_no_record() -> None:
    app = AppBuilder.example().without("audit_consent").build()

    assert consent_record(app, "app-1", RECEIVED) is None


def test_the_properly_signed_copy_is_the_one_recorded() -> None:
    builder = (
        AppBuilder.example()
        .change("audit_consent", stamped=False)
        .with_material("audit_consent", signed_by_legal_rep=True, stamped=True)
    )
    app = builder.build()

    record = consent_record(app, "app-1", RECEIVED)

    assert record is not None
    assert record.valid
    assert record.document_sha256 == app.materials_of("audit_consent")[1].sha256


def test_a_consent_record_cannot_be_changed() -> None:
    record = consent_record(AppBuilder.example().build(), "app-1", RECEIVED)
    assert record is not None

    with pytest.raises(ValidationError):
        record.stamped = False  # type: ignore[misc]


def test_a_receipt_time_without_a_utc_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        consent_record(AppBuilder.example().build(), "app-1", datetime(2026, 5, 20, 10, 0))
