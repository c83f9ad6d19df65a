"""The yearly cap and failing checks hold on every path to a grant, over the real suite.

1. The cap through review (三(一)2 同一需求方每一年度累计申请的训力券额度最高1000万元): application A,
   16M, not filed from the project lead's account, is held for review and reserves nothing;
   application B of the same applicant, 16M on other contracts, passes and reserves 8M; an
   operator then passes A's review. A reserves only the 2M left, both go through the public
   notice and are approved on the program clock, and the letters, the read model and the
   ledger agree on 10M in all.
2. A failing verdict that arrives late: verification is down, the case times out into review,
   an operator passes it, and then verification fails it. The case is rejected, the reservation
   released, and the letter names the failed rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.support.filing import add_refdata, application, file, qr_code_of, view, wait_view
from tests.support.letters import mails_about
from tests.support.samples import applicant_block, application_for, make_uscc
from tests.support.suite import Suite, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(900)]

BLOCK = applicant_block()
CAP = Decimal("10000000.00")
CHECK_TIMEOUT_S = 10
AMOUNT = re.compile(r"¥([\d,]+\.\d{2})")


def status_is(suite: Suite, application_id: str, status: str, timeout: float = 120) -> dict[str, Any]:
    return wait_view(suite, application_id, f"status {status}", lambda v: v["status"] == status, timeout)


def ledger(suite: Suite, uscc: str) -> dict[str, Any]:
    with suite.store() as store:
        return store["vouchers_eligibility"]["ledgers"].find_one({"_id": f"{uscc}:2026"}) or {}


def review(suite: Suite, application_id: str, decision: str) -> tuple[int, dict[str, Any]]:
    with suite.client("notification") as client:
        response = client.post(
            f"/v1/applications/{application_id}/review",
            json={"decision": decision, "note": "人工复核意见"},
            timeout=30,
        )
    return response.status_code, response.json()


def approval_amount(suite: Suite, application_id: str) -> Decimal:
    (letter,) = wait_for(
        f"the approval letter of {application_id}",
        lambda: mails_about(suite.mail.messages, application_id),
        timeout=90,
    )
    amounts = {Decimal(a.replace(",", "")) for a in AMOUNT.findall(letter.text)}
    assert len(amounts) == 1, letter.text
    return amounts.pop()


@pytest.fixture(scope="module")
def late_failure(suite: Suite) -> dict[str, Any]:
    """Filed while verification is down, passed on review, then failed by verification."""
    uscc = make_uscc(BLOCK + 1)
    add_refdata(suite, "audit_reports", [{"qr_code": qr_code_of(uscc), "uscc": uscc, "fiscal_year": 2025}])
    app = application_for(uscc, base="missing-audit-consent")
    for material in app["materials"]:
        if material["kind"] == "audit_report":
            material["qr_code"] = qr_code_of(uscc)
    suite.restart({"CHECK_TIMEOUT_S": str(CHECK_TIMEOUT_S)}, on=("notification",), stopped=("verification",))
    try:
        application_id = file(suite, app)
        held = status_is(suite, application_id, "needs_review", timeout=90)
        answer = review(suite, application_id, "pass")
        passed = status_is(suite, application_id, "awaiting_notice")
        reserved = ledger(suite, uscc).get("reserved", {}).get(application_id)
    finally:
        suite.restore()  # verification comes back and answers: failed
    rejected = status_is(suite, application_id, "rejected")
    return {
        "id": application_id,
        "uscc": uscc,
        "held": held,
        "answer": answer,
        "passed": passed,
        "reserved": reserved,
        "rejected": rejected,
    }


@pytest.fixture(scope="module")
def cap_through_review(suite: Suite, late_failure: dict[str, Any]) -> Iterator[dict[str, Any]]:
    uscc = make_uscc(BLOCK + 2)
    add_refdata(suite, "audit_reports", [{"qr_code": qr_code_of(uscc), "uscc": uscc, "fiscal_year": 2025}])
    a = application(uscc, [("HT-A-01", "16000000.00")])
    a["declarations"]["filed_by_project_lead"] = False
    ids = {"A": file(suite, a)}
    facts: dict[str, Any] = {"uscc": uscc, "ids": ids, "A held": status_is(suite, ids["A"], "needs_review")}
    facts["ledger while A held"] = ledger(suite, uscc)
    ids["B"] = file(suite, application(uscc, [("HT-B-01", "16000000.00")]))
    facts["B passed"] = status_is(suite, ids["B"], "awaiting_notice")
    facts["review answer"] = review(suite, ids["A"], "pass")
    facts["A passed"] = status_is(suite, ids["A"], "awaiting_notice")
    with suite.client("notification") as client:
        response = client.post("/v1/notices")
    assert response.status_code == 201, response.text
    notice = response.json()
    for label in ("A", "B"):
        status_is(suite, ids[label], "in_public_notice")
    after = date.fromisoformat(notice["ends_on"]) + timedelta(days=7)
    suite.restart(on=("notification",), clock=f"{after.isoformat()}T10:00:00+08:00")
    try:
        facts["approved"] = {label: status_is(suite, ids[label], "approved") for label in ids}
        facts["letters"] = {label: approval_amount(suite, ids[label]) for label in ids}
        facts["ledger"] = wait_for(
            "both grants on the ledger",
            lambda: d if len((d := ledger(suite, uscc)).get("granted", {})) == 2 else None,
            timeout=60,
        )
        yield facts
    finally:
        suite.restore()


# --- the yearly cap through review ----------------------------------------------------------


def test_a_case_held_for_review_reserves_nothing(cap_through_review: dict[str, Any]) -> None:
    held = cap_through_review["A held"]
    assert held["voucher"]["total_cny"] == "8000000.00"  # proposed for the reviewer, not reserved
    reserved = cap_through_review["ledger while A held"].get("reserved", {})
    assert cap_through_review["ids"]["A"] not in reserved


def test_a_passed_review_reserves_only_the_room_left_under_the_cap(
    cap_through_review: dict[str, Any],
) -> None:
    assert cap_through_review["B passed"]["voucher"]["total_cny"] == "8000000.00"
    assert cap_through_review["review answer"][0] in (200, 202)
    a = cap_through_review["A passed"]
    assert a["voucher"]["total_cny"] == "2000000.00"
    (cap,) = [f for f in a["checks"]["eligibility"]["findings"] if f["rule"] == "AMT-ANNUAL-CAP"]
    assert cap["result"] == "pass"
    assert cap["limit"] == "2000000.00"


def test_the_granted_total_stays_within_the_cap_and_the_ledger_equals_the_letters(
    cap_through_review: dict[str, Any],
) -> None:
    ids, letters = cap_through_review["ids"], cap_through_review["letters"]
    assert letters == {"A": Decimal("2000000.00"), "B": Decimal("8000000.00")}
    granted = {k: Decimal(v) for k, v in cap_through_review["ledger"]["granted"].items()}
    assert granted == {ids["A"]: letters["A"], ids["B"]: letters["B"]}
    assert sum(granted.values()) <= CAP
    assert cap_through_review["ledger"].get("reserved", {}) == {}
    for label in ("A", "B"):
        shown = Decimal(cap_through_review["approved"][label]["voucher"]["total_cny"])
        assert shown == letters[label]


# --- a failing verdict that arrives late ----------------------------------------------------


def test_a_case_passed_on_review_is_rejected_by_a_failing_verdict_arriving_late(
    late_failure: dict[str, Any],
) -> None:
    assert late_failure["held"]["checks"]["verification"]["outcome"] == "pending"
    assert late_failure["answer"][0] in (200, 202)
    assert late_failure["reserved"] is not None  # reserved once the review passed
    rejected = late_failure["rejected"]
    failed = [f["rule"] for f in rejected["checks"]["verification"]["findings"] if f["result"] == "fail"]
    assert "MAT-AUDIT-CONSENT" in failed


def test_the_late_rejection_releases_the_reservation_and_names_the_rule_in_its_letter(
    suite: Suite, late_failure: dict[str, Any]
) -> None:
    application_id = late_failure["id"]
    released = wait_for(
        "the reservation released",
        lambda: (
            d if application_id in (d := ledger(suite, late_failure["uscc"])).get("released", {}) else None
        ),
        timeout=60,
    )
    assert application_id not in released.get("reserved", {})
    (letter,) = wait_for(
        "the rejection letter", lambda: mails_about(suite.mail.messages, application_id), timeout=60
    )
    assert "MAT-AUDIT-CONSENT" in letter.text


def test_a_pass_is_refused_while_the_failed_check_stands(suite: Suite, late_failure: dict[str, Any]) -> None:
    status, body = review(suite, late_failure["id"], "pass")
    assert status == 409, body
    assert view(suite, late_failure["id"])["status"] == "rejected"
