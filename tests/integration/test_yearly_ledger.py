"""The rule book and the yearly ledger over real Kafka and the store (issue 4).

Each test files as its own applicant, so the ledgers never share an applicant. Every applicant
here has its audit QR code registered, so verification passes and no automatic rejection
releases a reservation behind a test's back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from vouchers_shared import topics
from vouchers_shared.events import CaseDecided
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.publisher import Outgoing

from tests.support.events import publish, records_about, send_again
from tests.support.filing import (
    add_refdata,
    application,
    file,
    file_at_once,
    findings_of,
    qr_code_of,
    total,
    wait_check,
)
from tests.support.samples import make_uscc
from tests.support.suite import Suite, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

CAP = Decimal("10000000.00")
CONCURRENT, PRIOR, REDELIVERED, RELEASED, DUPLICATE, DUPLICATE_AT_ONCE, PRIOR_REJECTED = (
    make_uscc(4_000_000 + n) for n in range(1, 8)
)
APPLICANTS = (CONCURRENT, PRIOR, REDELIVERED, RELEASED, DUPLICATE, DUPLICATE_AT_ONCE, PRIOR_REJECTED)


@pytest.fixture(scope="module")
def ledger_suite(suite: Suite) -> Suite:
    """The session suite with this module's QR codes and prior-year amounts loaded."""
    add_refdata(
        suite,
        "audit_reports",
        [{"qr_code": qr_code_of(u), "uscc": u, "fiscal_year": 2025} for u in APPLICANTS],
    )
    add_refdata(
        suite,
        "prior_year_unredeemed",
        [
            {"uscc": PRIOR, "program_year": 2025, "unredeemed_cny": "9500000.00"},
            # Two years back does not count against this year's cap.
            {"uscc": PRIOR, "program_year": 2024, "unredeemed_cny": "3000000.00"},
            {"uscc": PRIOR_REJECTED, "program_year": 2025, "unredeemed_cny": "3000000.00"},
        ],
    )
    return suite


def ledger(suite: Suite, uscc: str) -> dict[str, Any]:
    doc = suite.store()["vouchers_eligibility"]["ledgers"].find_one({"_id": f"{uscc}:2026"})
    return doc or {}


def amounts(entries: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in entries.items()}


def wait_eligible(suite: Suite, application_id: str) -> dict[str, Any]:
    view = wait_check(suite, application_id, "eligibility")
    assert view["checks"]["eligibility"]["outcome"] == "pass", view["checks"]["eligibility"]
    return view


def test_two_applications_filed_at_the_same_moment_stay_within_the_cap_together(
    ledger_suite: Suite,
) -> None:
    # 50% of 16M is 8M each: 16M together, 6M over the cap.
    apps = [application(CONCURRENT, [(f"HT-CAP-{n}", "16000000.00")]) for n in (1, 2)]

    ids = file_at_once(ledger_suite, apps)

    views = [wait_eligible(ledger_suite, i) for i in ids]
    totals = sorted(total(v) for v in views)
    assert sum(totals) <= CAP
    assert totals == [Decimal("2000000.00"), Decimal("8000000.00")]
    book = ledger(ledger_suite, CONCURRENT)
    committed = {**amounts(book.get("reserved", {})), **amounts(book.get("granted", {}))}
    assert committed == {i: total(v) for i, v in zip(ids, views, strict=True)}
    assert sum(committed.values()) <= CAP


def test_prior_year_unredeemed_takes_most_of_the_cap(ledger_suite: Suite) -> None:
    # 1.2M at 50% is 600k; 9.5M unredeemed from 2025 leaves 500k (the 2024 amount does not count).
    app_id = file(ledger_suite, application(PRIOR))

    view = wait_eligible(ledger_suite, app_id)

    assert total(view) == Decimal("500000.00")
    (cap,) = findings_of(view, "eligibility", "AMT-ANNUAL-CAP")
    assert cap["result"] == "pass"
    assert Decimal(cap["limit"].replace(",", "")) == Decimal("500000.00")
    book = ledger(ledger_suite, PRIOR)
    assert Decimal(book["prior_unredeemed_cny"]) == Decimal("9500000.00")
    assert amounts(book["reserved"]) == {app_id: Decimal("500000.00")}


def test_a_redelivered_conflict_verdict_does_not_reserve_twice(ledger_suite: Suite) -> None:
    app_id = file(ledger_suite, application(REDELIVERED, [("HT-RD-1", "16000000.00")]))
    wait_eligible(ledger_suite, app_id)
    before = ledger(ledger_suite, REDELIVERED)
    bootstrap = ledger_suite.infra.kafka_bootstrap
    (coi,) = records_about(bootstrap, topics.COI, app_id)
    (verdict,) = records_about(bootstrap, topics.ELIGIBILITY, app_id)

    send_again(bootstrap, coi)

    # The rule book answers a redelivery with the verdict it gave the first time.
    again = wait_for(
        "the rule book's answer to the redelivery",
        lambda: records_about(bootstrap, topics.ELIGIBILITY, app_id)[1:],
        timeout=60,
    )
    assert [r.id for r in again] == [verdict.id]
    assert again[0].body() == verdict.body()
    after = ledger(ledger_suite, REDELIVERED)
    assert amounts(after["reserved"]) == {app_id: Decimal("8000000.00")}
    assert after["revision"] == before["revision"]


def test_a_final_rejection_releases_the_reservation(ledger_suite: Suite) -> None:
    first = file(ledger_suite, application(RELEASED, [("HT-REL-1", "16000000.00")]))
    wait_eligible(ledger_suite, first)
    assert amounts(ledger(ledger_suite, RELEASED)["reserved"]) == {first: Decimal("8000000.00")}
    rejection = CaseDecided(
        application_id=first,
        applicant_uscc=RELEASED,
        status="rejected",
        final=True,
        reasons=["复核不予通过"],
        decided_at=datetime.now(UTC),
        decided_by="operator",
    )

    publish(
        ledger_suite.infra.kafka_bootstrap,
        Outgoing(
            topic=topics.DECISIONS,
            key=RELEASED,
            payload=rejection,
            envelope=Envelope.new(topics.CASE_DECIDED, "/vouchers/notification", first),
        ),
    )

    book = wait_for(
        "the reservation to be released",
        lambda: (b := ledger(ledger_suite, RELEASED)) and first in b["released"] and b,
        timeout=60,
    )
    assert amounts(book["reserved"]) == {}
    assert amounts(book["released"]) == {first: Decimal("8000000.00")}
    # The room is back: another 8M fits whole (without the release only 2M would).
    second = file(ledger_suite, application(RELEASED, [("HT-REL-2", "16000000.00")]))
    assert total(wait_eligible(ledger_suite, second)) == Decimal("8000000.00")


def reject(suite: Suite, application_id: str, uscc: str) -> None:
    rejection = CaseDecided(
        application_id=application_id,
        applicant_uscc=uscc,
        status="rejected",
        final=True,
        reasons=["资格审查未通过"],
        decided_at=datetime.now(UTC),
    )
    publish(
        suite.infra.kafka_bootstrap,
        Outgoing(
            topic=topics.DECISIONS,
            key=uscc,
            payload=rejection,
            envelope=Envelope.new(topics.CASE_DECIDED, "/vouchers/notification", application_id),
        ),
    )


def test_a_first_application_rejected_with_a_prior_year_amount_is_released_without_stalling(
    ledger_suite: Suite,
) -> None:
    # Below the 500k minimum: it fails and reserves nothing, but the ledger is opened with the
    # prior-year amount. Its release then once met a ledger it could never write.
    first = file(ledger_suite, application(PRIOR_REJECTED, [("HT-PR-1", "100000.00")]))
    view = wait_check(ledger_suite, first, "eligibility")
    assert view["checks"]["eligibility"]["outcome"] == "fail"
    opened = wait_for(
        "the ledger opened with the prior-year amount",
        lambda: ledger(ledger_suite, PRIOR_REJECTED) or None,
        timeout=30,
    )
    assert Decimal(opened["prior_unredeemed_cny"]) == Decimal("3000000.00")
    assert opened["revision"] >= 1

    reject(ledger_suite, first, PRIOR_REJECTED)  # (the suite's own rejection may come first)

    book = wait_for(
        "the release recorded",
        lambda: b if first in (b := ledger(ledger_suite, PRIOR_REJECTED)).get("released", {}) else None,
        timeout=60,
    )
    assert amounts(book.get("reserved", {})) == {}
    # The partition goes on: the applicant's next application is assessed, against 7M of room.
    second = file(ledger_suite, application(PRIOR_REJECTED, [("HT-PR-2", "16000000.00")]))
    assert total(wait_eligible(ledger_suite, second)) == Decimal("7000000.00")


def test_a_contract_declared_again_by_the_same_applicant_is_left_out(ledger_suite: Suite) -> None:
    first = file(ledger_suite, application(DUPLICATE, [("HT-DUP-1", "800000.00")]))
    wait_eligible(ledger_suite, first)

    second = file(
        ledger_suite, application(DUPLICATE, [("HT-DUP-1", "800000.00"), ("HT-DUP-2", "600000.00")])
    )

    view = wait_eligible(ledger_suite, second)
    results = {f["contract_no"]: f["result"] for f in findings_of(view, "eligibility", "CON-NOT-DUPLICATE")}
    assert results == {"HT-DUP-1": "fail", "HT-DUP-2": "pass"}
    assert [c["contract_no"] for c in view["voucher"]["by_contract"]] == ["HT-DUP-2"]
    assert total(view) == Decimal("300000.00")
    assert total(wait_eligible(ledger_suite, first)) == Decimal("400000.00")


def test_a_contract_in_two_applications_filed_at_once_counts_in_one_only(ledger_suite: Suite) -> None:
    apps = [
        application(DUPLICATE_AT_ONCE, [("HT-TWICE-1", "800000.00"), (f"HT-ONCE-{n}", "600000.00")])
        for n in (1, 2)
    ]

    ids = file_at_once(ledger_suite, apps)

    views = [wait_eligible(ledger_suite, i) for i in ids]
    counted = [c["contract_no"] for v in views for c in v["voucher"]["by_contract"]]
    assert sorted(counted) == ["HT-ONCE-1", "HT-ONCE-2", "HT-TWICE-1"]
    results = sorted(
        f["result"]
        for v in views
        for f in findings_of(v, "eligibility", "CON-NOT-DUPLICATE")
        if f["contract_no"] == "HT-TWICE-1"
    )
    assert results == ["fail", "pass"]
