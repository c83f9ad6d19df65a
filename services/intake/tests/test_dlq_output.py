"""`vouchers dlq list|show` prints parked records with their personal data masked."""

from __future__ import annotations

import json

import pytest
from intake.cli import parked_row
from vouchers_shared.messaging.dlq import Parked

EMAIL, MOBILE, ID = "sima@probe.example.cn", "+86 139 8765 4321", "11010519491231002X"
APPLICATION = {
    "application_id": "SZV2026-3F9A2C",
    "applicant_uscc": "91440305MA5K00010T",
    "application": {
        "applicant": {
            "name": "深圳市某公司",
            "uscc": "91440305MA5K00010T",
            "legal_representative": {"person_id": "pid-lr-4711", "name": "上官探针"},
            "contact": {"name": "司马测遥", "email": EMAIL, "mobile": MOBILE},
        },
        "project": {"title": "训练", "lead": {"person_id": "pid-lead-4711", "name": "欧阳日志"}},
        "contracts": [{"contract_no": "HT-1", "description": f"联系 {MOBILE}，身份证 {ID}"}],
    },
}
SECRETS = (
    EMAIL,
    MOBILE,
    "139 8765 4321",
    ID,
    "pid-lr-4711",
    "上官探针",
    "司马测遥",
    "pid-lead-4711",
    "欧阳日志",
)
ERROR = (
    "1 validation error for ApplicationSubmitted\\napplication.applicant.contact.mobile\\n  bad "
    f"[type=string_pattern_mismatch, input_value='{MOBILE} 司马测遥', input_type=str]"
)


def parked(body: bytes) -> Parked:
    headers = {
        "ce_id": "evt-1",
        "ce_subject": "SZV2026-3F9A2C",
        "dlq_error": ERROR,
        "dlq_attempts": "3",
        "dlq_note": f"from {EMAIL}",
    }
    return Parked(partition=4, offset=17, key="91440305MA5K00010T", headers=headers, body=body)


@pytest.mark.parametrize("full", [False, True], ids=["list", "show"])
@pytest.mark.parametrize(
    "body",
    [
        json.dumps(APPLICATION, ensure_ascii=False).encode(),
        f"not json: {EMAIL} {MOBILE} {ID}".encode(),
        b"\xff\xfe" + ID.encode(),
    ],
    ids=["a JSON event", "text", "bytes that are no UTF-8"],
)
def test_no_personal_data_is_printed(full: bool, body: bytes) -> None:
    printed = json.dumps(parked_row(parked(body), full=full), ensure_ascii=False)

    for secret in SECRETS:
        assert secret not in printed


def test_what_an_operator_needs_stays_readable() -> None:
    row = parked_row(parked(json.dumps(APPLICATION, ensure_ascii=False).encode()), full=True)

    assert row["at"] == "4:17"
    assert row["key"] == "91440305MA5K00010T"
    assert row["attempts"] == "3"
    assert "application.applicant.contact.mobile" in row["error"]
    assert row["headers"]["ce_subject"] == "SZV2026-3F9A2C"
    body = json.loads(row["body"])
    assert body["application_id"] == "SZV2026-3F9A2C"
    assert body["application"]["contracts"][0]["contract_no"] == "HT-1"
