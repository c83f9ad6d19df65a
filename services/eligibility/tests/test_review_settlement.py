"""A passed review reserves against the yearly room left then; the ledger grants what it reserved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eligibility.domain.amounts import Room
from eligibility.domain.ledger import Ledger, UnreservedGrant
from eligibility.domain.rulebook import LedgerView, Verdict
from eligibility.domain.settlement import settle_review
from eligibility_testkit import APPLICANT, PARAMS, PROVIDER_2, application, contract, finding, run
from vouchers_shared.application import Application

CAP = PARAMS.annual_cap_cny
SIXTEEN_M = "16000000.00"


def held_application(*contracts: dict[str, str]) -> Application:
    """Filed from an account other than the project lead's: ELIG-SELF-FILED holds it for review."""
    return application(
        contracts=list(contracts) or [contract(amount_cny=SIXTEEN_M)],
        declarations={"filed_by_project_lead": False},
    )


def settled(app: Application, proposed: Verdict, ledger: Ledger) -> Verdict:
    room = Room(CAP, ledger.prior_unredeemed_cny, ledger.others_committed("app-1"))
    return settle_review(
        app,
        application_id="app-1",
        proposed=proposed.findings,
        voucher=proposed.voucher,
        outcome=proposed.outcome,
        room=room,
        params=PARAMS,
    )


def test_the_held_application_of_the_cap_leak_reserves_only_the_room_left_when_passed() -> None:
    a = held_application()
    proposed_a = run(a)
    assert proposed_a.outcome == "review"
    assert proposed_a.reserve_cny == 0
    assert proposed_a.voucher is not None
    assert proposed_a.voucher.total_cny == Decimal("8000000.00")  # proposed, not reserved

    b = application(contracts=[contract(contract_no="HT-B", amount_cny=SIXTEEN_M)])
    verdict_b = run(b, ledger=LedgerView())
    ledger = Ledger(applicant_uscc=APPLICANT, program_year=2026).reserve("app-b", verdict_b.reserve_cny, CAP)
    assert verdict_b.reserve_cny == Decimal("8000000.00")

    verdict_a = settled(a, proposed_a, ledger)
    assert verdict_a.outcome == "pass"
    assert verdict_a.reserve_cny == Decimal("2000000.00")
    assert verdict_a.voucher is not None
    assert verdict_a.voucher.total_cny == Decimal("2000000.00")
    cap = finding(verdict_a, "AMT-ANNUAL-CAP")
    assert cap.result == "pass"
    assert cap.limit == "2000000.00"
    after = ledger.reserve("app-1", verdict_a.reserve_cny, CAP)
    assert after.committed() == CAP


def test_a_review_passed_with_no_room_left_fails_the_cap_rule() -> None:
    a = held_application()
    full = Ledger(applicant_uscc=APPLICANT, program_year=2026).reserve("app-b", CAP, CAP)
    verdict = settled(a, run(a), full)
    assert verdict.outcome == "fail"
    assert verdict.voucher is None
    assert verdict.reserve_cny == 0
    assert finding(verdict, "AMT-ANNUAL-CAP").result == "fail"


def test_prior_year_unredeemed_counts_against_the_room_when_settling() -> None:
    a = held_application()
    ledger = Ledger(applicant_uscc=APPLICANT, program_year=2026, prior_unredeemed_cny=Decimal("9500000.00"))
    verdict = settled(a, run(a), ledger)
    assert verdict.reserve_cny == Decimal("500000.00")


def test_a_cut_is_shared_out_over_the_counted_contracts_to_the_fen() -> None:
    a = held_application(
        contract(contract_no="HT-1", amount_cny="3000000.01"),
        contract(contract_no="HT-2", provider_uscc=PROVIDER_2, amount_cny="1000000.03"),
    )
    ledger = Ledger(applicant_uscc=APPLICANT, program_year=2026).reserve("app-b", Decimal("8765432.10"), CAP)
    verdict = settled(a, run(a), ledger)
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == CAP - Decimal("8765432.10")
    assert sum(c.voucher_cny for c in verdict.voucher.by_contract) == verdict.voucher.total_cny
    assert [c.contract_no for c in verdict.voucher.by_contract] == ["HT-1", "HT-2"]


def test_a_contract_the_rule_book_left_out_stays_out_when_settling() -> None:
    a = held_application(
        contract(contract_no="HT-1", amount_cny="1000000.00"),
        contract(contract_no="HT-X", amount_cny="900000.00", signed_on="2024-01-01"),
    )
    proposed = run(a)
    verdict = settled(a, proposed, Ledger(applicant_uscc=APPLICANT, program_year=2026))
    assert verdict.voucher is not None
    assert [c.contract_no for c in verdict.voucher.by_contract] == ["HT-1"]
    assert verdict.voucher.total_cny == Decimal("500000.00")


def test_a_failed_verdict_stays_failed_whatever_the_review_says() -> None:
    a = application(
        contracts=[contract(amount_cny="100000.00")], declarations={"filed_by_project_lead": False}
    )
    proposed = run(a)
    assert proposed.outcome == "fail"
    verdict = settled(a, proposed, Ledger(applicant_uscc=APPLICANT, program_year=2026))
    assert verdict.outcome == "fail"
    assert verdict.reserve_cny == 0


# --- the ledger grants exactly what it reserved ---------------------------------------------


def test_a_grant_without_a_reservation_is_refused() -> None:
    with pytest.raises(UnreservedGrant, match="nothing reserved"):
        Ledger(applicant_uscc=APPLICANT, program_year=2026).grant("app-1", Decimal("8000000.00"))


def test_a_grant_of_another_amount_than_reserved_is_refused() -> None:
    ledger = Ledger(applicant_uscc=APPLICANT, program_year=2026).reserve("app-1", Decimal("2000000.00"), CAP)
    with pytest.raises(UnreservedGrant, match=r"2000000\.00 reserved"):
        ledger.grant("app-1", Decimal("8000000.00"))


def test_a_grant_of_the_reserved_amount_moves_it_and_is_idempotent() -> None:
    ledger = Ledger(applicant_uscc=APPLICANT, program_year=2026).reserve("app-1", Decimal("2000000.00"), CAP)
    granted = ledger.grant("app-1", Decimal("2000000.00"))
    assert granted.reserved == {}
    assert granted.granted == {"app-1": Decimal("2000000.00")}
    assert granted.grant("app-1", Decimal("2000000.00")) is granted
    assert granted.committed() == Decimal("2000000.00")
