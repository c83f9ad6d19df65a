"""Fields written once and read whole are kept as one compressed value (`sealed`, `opened`)."""

from __future__ import annotations

from datetime import datetime

import bson
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.store import AS_READ, SEALED, opened, sealed

FINDINGS = [
    {
        "rule": f"RULE-{i}",
        "clause": "三(一)2",
        "result": "pass",
        "message": "申请单位属于企业。",
        "evidence": [],
    }
    for i in range(20)
]


def test_the_named_fields_move_into_one_value_and_come_back_as_they_were() -> None:
    at = datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)
    doc = {"_id": "A/eligibility", "at": at, "findings": FINDINGS, "nested": {"when": at}}

    kept = sealed(doc, "findings", "nested")

    assert set(kept) == {"_id", "at", SEALED}
    assert kept["at"] is at
    back = opened(bson.decode(bson.encode(kept), AS_READ))  # as the store gives it back
    assert back == doc
    assert back["nested"]["when"].utcoffset() is not None


def test_a_sealed_value_is_a_fraction_of_the_fields_it_holds() -> None:
    kept = sealed({"_id": "x", "findings": FINDINGS}, "findings")
    assert len(kept[SEALED]) * 4 < len(bson.encode({"findings": FINDINGS}))


def test_a_document_stored_before_sealing_is_read_as_it_is() -> None:
    plain = {"_id": "x", "findings": FINDINGS}
    assert opened(plain) is plain


def test_only_the_fields_a_document_has_are_sealed() -> None:
    kept = sealed({"_id": "x", "outbox": []}, "application", "outbox")
    assert opened(kept) == {"_id": "x", "outbox": []}


def test_a_document_without_any_of_the_fields_is_left_as_it_is() -> None:
    """Set on a stored document, it must not replace a sealed value with an empty one."""
    fields = {"next_attempt_at": "later"}
    assert sealed(fields, "application") is fields
