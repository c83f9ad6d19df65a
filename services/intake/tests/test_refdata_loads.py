"""A reference-data load the services could not rely on is refused whole, over HTTP and on the
command line, naming its rows; nothing is published."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from intake.cli import load_refdata
from intake.refdata_loader import RefdataRefused, build_snapshot
from intake_testkit import SAMPLES, Intake
from stdnum.cn import uscc as stdnum_uscc
from vouchers_shared.settings import CommonSettings


def uscc(serial: int) -> str:
    body = f"91440305MA{serial:07d}"
    return body + stdnum_uscc.calc_check_digit(body)


A, B, C = uscc(1), uscc(2), uscc(3)
NOT_A_USCC = A[:-1] + ("0" if A[-1] != "0" else "1")

# kind, items, the fields of the errors, their codes
REFUSED: dict[str, tuple[str, list[dict[str, Any]], list[str], list[str]]] = {
    "qr code under two usccs": (
        "audit_reports",
        [
            {"qr_code": "QR-1", "uscc": A, "fiscal_year": 2025},
            {"qr_code": "QR-2", "uscc": B, "fiscal_year": 2025},
            {"qr_code": "QR-1", "uscc": B, "fiscal_year": 2025},
        ],
        ["[0].qr_code"],
        ["CONFLICTING_DUPLICATE"],
    ),
    "prior year twice with different amounts": (
        "prior_year_unredeemed",
        [
            {"uscc": A, "program_year": 2025, "unredeemed_cny": "3000000.00"},
            {"uscc": A, "program_year": 2025, "unredeemed_cny": "1000000.00"},
        ],
        ["[0].unredeemed_cny"],
        ["CONFLICTING_DUPLICATE"],
    ),
    "holding over 100 pct": (
        "holdings",
        [{"holder_id": A, "holder_kind": "company", "held_uscc": C, "pct": "100.01"}],
        ["[0].pct"],
        ["value_error"],
    ),
    "holders of one company over 100 pct": (
        "holdings",
        [
            {"holder_id": A, "holder_kind": "company", "held_uscc": C, "pct": "60.00"},
            {"holder_id": "p-1", "holder_kind": "person", "held_uscc": C, "pct": "45.00"},
        ],
        ["[0].pct"],
        ["HOLDINGS_OVER_100"],
    ),
    "one holding twice with different pcts": (
        "holdings",
        [
            {"holder_id": A, "holder_kind": "company", "held_uscc": C, "pct": "20.00"},
            {"holder_id": A, "holder_kind": "company", "held_uscc": C, "pct": "30.00"},
        ],
        ["[0].pct"],
        ["CONFLICTING_DUPLICATE"],
    ),
    "company holder without a valid uscc": (
        "holdings",
        [{"holder_id": NOT_A_USCC, "holder_kind": "company", "held_uscc": C, "pct": "20.00"}],
        ["[0].holder_id"],
        ["INVALID_USCC"],
    ),
    "officer of an unknown role": (
        "officers",
        [{"person_id": "p-1", "company_uscc": A, "role": "chairman"}],
        ["[0].role"],
        ["literal_error"],
    ),
    "officer at an invalid uscc": (
        "officers",
        [{"person_id": "p-1", "company_uscc": NOT_A_USCC, "role": "director"}],
        ["[0].company_uscc"],
        ["value_error"],
    ),
    "restriction of an invalid uscc": (
        "restrictions",
        [{"uscc": NOT_A_USCC, "list": "overdue_refund"}],
        ["[0].uscc"],
        ["value_error"],
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_load_the_services_cannot_rely_on_is_refused_naming_its_rows(case: str) -> None:
    kind, items, fields, codes = REFUSED[case]

    with pytest.raises(RefdataRefused) as refused:
        build_snapshot(kind, items, "test", datetime.now(UTC))

    assert refused.value.http_status == 422
    assert [e["field"] for e in refused.value.errors] == fields
    assert [e["code"] for e in refused.value.errors] == codes
    assert all(e["message"] for e in refused.value.errors)


def test_the_same_row_twice_is_harmless_and_loads() -> None:
    row = {"qr_code": "QR-1", "uscc": A, "fiscal_year": 2025}

    snapshot = build_snapshot("audit_reports", [row, row], "test", datetime.now(UTC))

    assert len(snapshot.items) == 2


async def test_over_http_a_qr_code_under_two_usccs_is_a_422_and_nothing_is_published() -> None:
    _, items, _, _ = REFUSED["qr code under two usccs"]
    intake = Intake()

    refused = await intake.post("/v1/refdata/audit_reports", items, "operator")
    loaded = await intake.post("/v1/refdata/audit_reports", items[:2], "operator")

    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("[0].qr_code", "CONFLICTING_DUPLICATE")
    assert "rows 0, 2" in error["message"]
    assert loaded.status_code == 202, loaded.text
    assert [e.envelope.subject for e in intake.publisher.published] == ["audit_reports"]


async def test_the_command_line_refuses_the_load_before_reaching_kafka(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, items, _, _ = REFUSED["prior year twice with different amounts"]
    file = tmp_path / "prior.json"
    file.write_text(json.dumps(items), encoding="utf-8")
    nowhere = CommonSettings(kafka_bootstrap_servers="127.0.0.1:1")  # would fail if it were reached

    code = await load_refdata(nowhere, "prior_year_unredeemed", file)

    assert code == 2
    [error] = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == "CONFLICTING_DUPLICATE"
    assert "rows 0, 1" in error["message"]


def test_the_sample_reference_data_loads() -> None:
    sample: dict[str, list[dict[str, Any]]] = json.loads((SAMPLES / "refdata.json").read_text("utf-8"))

    for kind, items in sample.items():
        build_snapshot(kind, items, "test", datetime.now(UTC))
