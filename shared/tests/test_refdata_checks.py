"""A reference-data load checked as a whole, and a service refusing a snapshot that does not hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc as stdnum_uscc
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.refdata import ITEM_LISTS, Snapshot
from vouchers_shared.refdata_checks import snapshot_problems
from vouchers_shared.refdata_store import store_snapshot
from vouchers_shared.topics import REFDATA_LOADED, refdata_topic

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "sample" / "refdata.json"


def uscc(serial: int) -> str:
    body = f"91440305MA{serial:07d}"
    return body + stdnum_uscc.calc_check_digit(body)


A, B, C, D = uscc(1), uscc(2), uscc(3), uscc(4)


def problems(kind: str, items: list[dict[str, Any]]) -> list[tuple[tuple[int, ...], str, str]]:
    parsed = ITEM_LISTS[kind].validate_python(items)
    return [(p.rows, p.field, p.code) for p in snapshot_problems(kind, parsed)]


def report(qr: str, owner: str, year: int = 2025) -> dict[str, Any]:
    return {"qr_code": qr, "uscc": owner, "fiscal_year": year}


def prior(owner: str, amount: str, year: int = 2025) -> dict[str, Any]:
    return {"uscc": owner, "program_year": year, "unredeemed_cny": amount}


def holding(holder: str, held: str, pct: str, kind: str = "company") -> dict[str, Any]:
    return {"holder_id": holder, "holder_kind": kind, "held_uscc": held, "pct": pct}


def test_the_sample_reference_data_holds_together() -> None:
    sample: dict[str, list[dict[str, Any]]] = json.loads(SAMPLE.read_text("utf-8"))

    assert {kind: problems(kind, items) for kind, items in sample.items()} == {kind: [] for kind in sample}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([report("QR-1", A), report("QR-2", B)], []),
        ([report("QR-1", A), report("QR-1", A)], []),  # the same row twice says nothing new
        (
            [report("QR-1", A), report("QR-2", B), report("QR-1", B)],
            [((0, 2), "qr_code", "CONFLICTING_DUPLICATE")],
        ),
        ([report("QR-1", A, 2025), report("QR-1", A, 2024)], [((0, 1), "qr_code", "CONFLICTING_DUPLICATE")]),
        (
            [report("QR-1", A), report("QR-1", B), report("QR-1", C)],
            [((0, 1, 2), "qr_code", "CONFLICTING_DUPLICATE")],
        ),
    ],
)
def test_a_qr_code_is_registered_to_one_applicant_and_year(
    items: list[dict[str, Any]], expected: list[tuple[tuple[int, ...], str, str]]
) -> None:
    assert problems("audit_reports", items) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([prior(A, "100.00"), prior(A, "100.00")], []),
        ([prior(A, "100.00"), prior(A, "100.00", 2024)], []),
        (
            [prior(A, "100.00"), prior(B, "200.00"), prior(A, "300.00")],
            [((0, 2), "unredeemed_cny", "CONFLICTING_DUPLICATE")],
        ),
        ([prior(A, "100"), prior(A, "100.00")], []),  # the same amount however written
    ],
)
def test_prior_year_unredeemed_has_one_amount_per_applicant_and_year(
    items: list[dict[str, Any]], expected: list[tuple[tuple[int, ...], str, str]]
) -> None:
    assert problems("prior_year_unredeemed", items) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([holding(A, C, "60.00"), holding("p-1", C, "40.00", "person")], []),  # exactly 100
        ([holding(A, C, "60.00"), holding(A, C, "60.00"), holding(B, C, "40.00")], []),
        ([holding(A, C, "60.00"), holding(B, C, "40.01")], [((0, 1), "pct", "HOLDINGS_OVER_100")]),
        ([holding(A, C, "30.00"), holding(A, C, "35.00")], [((0, 1), "pct", "CONFLICTING_DUPLICATE")]),
        (
            [holding(A, C, "70.00"), holding(B, D, "70.00"), holding(D, C, "70.00")],
            [((0, 2), "pct", "HOLDINGS_OVER_100")],
        ),
        ([holding("91440305MA5K00004X", C, "10.00")], [((0,), "holder_id", "INVALID_USCC")]),
        ([holding("p-1", C, "10.00")], [((0,), "holder_id", "INVALID_USCC")]),
        ([holding("p-1", C, "10.00", "person")], []),
    ],
)
def test_holdings_name_company_holders_by_uscc_and_add_up_to_at_most_100(
    items: list[dict[str, Any]], expected: list[tuple[tuple[int, ...], str, str]]
) -> None:
    assert problems("holdings", items) == expected


@pytest.mark.parametrize(
    ("kind", "items"),
    [
        ("restrictions", [{"uscc": A, "list": "overdue_refund"}] * 2),
        ("officers", [{"person_id": "p-1", "company_uscc": A, "role": "director"}] * 2),
    ],
)
def test_a_repeated_row_of_a_kind_keyed_by_its_whole_row_is_harmless(
    kind: str, items: list[dict[str, Any]]
) -> None:
    assert problems(kind, items) == []


def test_a_problem_names_its_rows_and_what_they_disagree_on() -> None:
    parsed = ITEM_LISTS["audit_reports"].validate_python([report("QR-1", A), report("QR-1", B)])

    (problem,) = snapshot_problems("audit_reports", parsed)

    assert problem.as_error()["field"] == "[0].qr_code"
    assert "rows 0, 1" in problem.message
    assert A in problem.message
    assert B in problem.message


class RecordingStore:
    def __init__(self) -> None:
        self.saved: list[Snapshot] = []

    async def save(self, snapshot: Snapshot) -> bool:
        self.saved.append(snapshot)
        return True


def snapshot_record(kind: str, items: list[dict[str, Any]]) -> Inbound:
    snapshot = Snapshot(
        kind=kind,
        version="20260101T000000000000Z-abc",
        loaded_at=datetime.now(UTC),
        loaded_by="cli",
        items=items,
    )
    envelope = Envelope.new(REFDATA_LOADED, "/vouchers/refdata", kind)
    return Inbound(
        refdata_topic(kind), 0, 0, kind, envelope.headers(), snapshot.model_dump_json().encode(), envelope
    )


async def test_a_service_refuses_a_snapshot_that_does_not_hold_together_and_keeps_the_one_it_has() -> None:
    store = RecordingStore()
    bad = snapshot_record("audit_reports", [report("QR-1", A), report("QR-1", B)])

    with pytest.raises(PoisonMessage, match="QR-1"):
        await store_snapshot(bad, store, ("audit_reports",))  # type: ignore[arg-type]
    await store_snapshot(
        snapshot_record("audit_reports", [report("QR-1", A)]),
        store,  # type: ignore[arg-type]
        ("audit_reports",),
    )

    assert [s.items for s in store.saved] == [[report("QR-1", A)]]
