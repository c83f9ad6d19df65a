"""Amount rules (AMT-*), from the guide's 三(一)2: 50万元（含）, 50% / 60%, 1000万元 a year."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eligibility.domain.amounts import allocate
from eligibility.domain.rulebook import LedgerView
from eligibility_testkit import (
    APPLICANT,
    application,
    contract,
    finding,
    refs,
    run,
    voucher_by_contract,
)
from vouchers_shared.application import Contract


# 三(一)2: 注册时间未满一周年的企业（以注册之日至……指南发布之日计算）; published 2026-04-30
@pytest.mark.parametrize(
    ("org_type", "registered_on", "rate"),
    [
        ("enterprise", "2025-04-29", "0.50"),
        ("enterprise", "2025-04-30", "0.50"),
        ("enterprise", "2025-05-01", "0.60"),
        ("enterprise", "2025-12-01", "0.60"),
        ("enterprise", "2026-04-30", "0.60"),
        ("enterprise", "2019-06-18", "0.50"),
        ("university", "2025-12-01", "0.50"),
        ("research_institute", "2025-05-01", "0.50"),
    ],
)
def test_only_an_enterprise_under_one_year_at_the_guides_publication_gets_60_percent(
    org_type: str, registered_on: str, rate: str
) -> None:
    verdict = run(application(applicant={"org_type": org_type, "registered_on": registered_on}))
    found = finding(verdict, "AMT-RATE")
    assert (found.clause, found.observed) == ("三(一)2", rate)
    assert verdict.voucher is not None
    assert verdict.voucher.rate == Decimal(rate)
    assert verdict.voucher.total_cny == Decimal("1200000.00") * Decimal(rate)


def test_registered_exactly_one_year_before_the_guide_gets_the_standard_rate() -> None:
    verdict = run(application(applicant={"registered_on": "2025-04-30"}))
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("600000.00")


def test_registered_one_day_later_gets_the_young_enterprise_rate() -> None:
    verdict = run(application(applicant={"registered_on": "2025-05-01"}))
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("720000.00")


def test_a_young_university_stays_at_50_percent() -> None:
    app = application(applicant={"org_type": "university", "registered_on": "2026-01-01"})
    verdict = run(app)
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("600000.00")


@pytest.mark.parametrize("registered_on", ["2025-05-01", "2025-12-01", "2026-04-30"])
def test_a_public_institution_registered_under_a_year_ago_gets_the_standard_rate(
    registered_on: str,
) -> None:
    # A public institution (事业单位) is not a 企业, even filed with org_type enterprise.
    app = application(applicant={"public_institution": True, "registered_on": registered_on})
    verdict = run(app)
    found = finding(verdict, "AMT-RATE")
    assert found.observed == "0.50"
    assert "事业单位" in found.message
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("600000.00")


# 三(一)2: 费用达到50万元（含）以上
@pytest.mark.parametrize(
    ("amounts", "expected", "total"),
    [
        (["499999.99"], "fail", None),
        (["500000.00"], "pass", "250000.00"),
        (["300000.00", "199999.99"], "fail", None),
        (["300000.00", "200000.00"], "pass", "250000.00"),
    ],
)
def test_eligible_spend_must_reach_500000_inclusive(
    amounts: list[str], expected: str, total: str | None
) -> None:
    contracts = [contract(contract_no=f"HT-{i}", amount_cny=a) for i, a in enumerate(amounts)]
    verdict = run(application(contracts=contracts))
    found = finding(verdict, "AMT-MIN-SPEND")
    assert (found.clause, found.result, found.limit) == ("三(一)2", expected, "500000.00")
    assert verdict.outcome == expected
    assert (verdict.voucher.total_cny if verdict.voucher else None) == (Decimal(total) if total else None)


def test_excluded_contracts_do_not_count_towards_the_minimum_spend() -> None:
    kept = contract(contract_no="HT-1", amount_cny="499999.99")
    late = contract(
        contract_no="HT-2",
        amount_cny="100000.00",
        signed_on="2027-01-01",
        service_start="2027-01-02",
        service_end="2027-02-01",
    )
    verdict = run(application(contracts=[kept, late]))
    assert finding(verdict, "AMT-MIN-SPEND").observed == "499999.99"
    assert verdict.failed_rules() == ["CON-SIGNING-WINDOW", "CON-SERVICE-PERIOD", "AMT-MIN-SPEND"]


def test_a_young_enterprise_at_exactly_500000_gets_300000() -> None:
    app = application(applicant={"registered_on": "2025-09-01"}, contracts=[contract(amount_cny="500000.00")])
    verdict = run(app)
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("300000.00")


def test_a_computed_voucher_is_rounded_down_to_the_fen() -> None:
    app = application(applicant={"registered_on": "2025-09-01"}, contracts=[contract(amount_cny="833333.33")])
    verdict = run(app)
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("499999.99")  # 499,999.998 rounded down


# Rounded once, on the application total (rules-2026.md AMT-ANNUAL-CAP: the sum over passing
# contracts of amount × rate, rounded down; parameter voucher_rounding). Rounding each contract
# first would lose up to a fen per contract; the shares are then the total apportioned in fen.
@pytest.mark.parametrize(
    ("registered_on", "amounts", "total", "shares"),
    [
        # 0.60 × 200,000.01 = 120,000.006 three times: the sum 360,000.018 → 360,000.01, where
        # per contract it would be 3 × 120,000.00 = 360,000.00. Equal remainders: the fen goes
        # to the first contract number.
        (
            "2025-09-01",
            ["200000.01", "200000.01", "200000.01"],
            "360000.01",
            ["120000.01", "120000.00", "120000.00"],
        ),
        # 0.50 × 1,000,000.01 = 500,000.005 twice: the sum is 1,000,000.01 exactly.
        ("2019-06-18", ["1000000.01", "1000000.01"], "1000000.01", ["500000.01", "500000.00"]),
        # 0.60 × 166,666.67 = 100,000.002 twice and 0.60 × 166,666.68 = 100,000.008: the sum
        # 300,000.012 → 300,000.01; the fen goes to the largest remainder, the last contract.
        (
            "2025-09-01",
            ["166666.67", "166666.67", "166666.68"],
            "300000.01",
            ["100000.00", "100000.00", "100000.01"],
        ),
        # 0.60 × 500,000.04 = 300,000.024 and 0.60 × 500,000.03 = 300,000.018: the sum
        # 600,000.042 → 600,000.04, one fen more than 300,000.02 + 300,000.01 per contract.
        ("2025-09-01", ["500000.04", "500000.03"], "600000.04", ["300000.02", "300000.02"]),
    ],
)
def test_the_voucher_is_rounded_down_once_on_the_application_total(
    registered_on: str, amounts: list[str], total: str, shares: list[str]
) -> None:
    filed = [contract(contract_no=f"HT-{i}", amount_cny=a) for i, a in enumerate(amounts)]
    verdict = run(application(applicant={"registered_on": registered_on}, contracts=filed))
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal(total)
    assert verdict.reserve_cny == Decimal(total)
    assert voucher_by_contract(verdict) == {f"HT-{i}": Decimal(s) for i, s in enumerate(shares)}
    assert finding(verdict, "AMT-ANNUAL-CAP").observed == total


def test_a_share_never_exceeds_its_contracts_amount_times_the_rate_by_a_whole_fen() -> None:
    filed = [
        Contract.model_validate(contract(contract_no=f"HT-{i}", amount_cny="200000.01")) for i in range(3)
    ]
    alloc = allocate(filed, Decimal("0.60"), Decimal("10000000.00"))
    for c in alloc.by_contract:
        assert c.voucher_cny - c.amount_cny * Decimal("0.60") < Decimal("0.01")


# 三(一)2: 同一需求方每一年度累计申请的训力券额度最高1000万元
def test_a_voucher_above_the_yearly_cap_is_capped_at_10_million() -> None:
    verdict = run(application(contracts=[contract(amount_cny="30000000.00")]))
    assert verdict.outcome == "pass"
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("10000000.00")
    assert verdict.reserve_cny == Decimal("10000000.00")
    cap = finding(verdict, "AMT-ANNUAL-CAP")
    assert (cap.result, cap.observed, cap.limit) == ("pass", "15000000.00", "10000000.00")


def test_a_cap_reached_across_two_contracts_is_shared_in_proportion_to_the_fen() -> None:
    two = [
        contract(contract_no="HT-A", amount_cny="12000000.00"),
        contract(contract_no="HT-B", amount_cny="10000000.00"),
    ]
    verdict = run(application(contracts=two))
    # 6,000,000 + 5,000,000 = 11,000,000 > 10,000,000: HT-A gets 10M × 6/11 = 5,454,545.4545…,
    # HT-B 10M × 5/11 = 4,545,454.5454…; the fen left over goes to the larger remainder (HT-B).
    assert voucher_by_contract(verdict) == {"HT-A": Decimal("5454545.45"), "HT-B": Decimal("4545454.55")}
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("10000000.00")


# 三(一)2: 同一需求方上年度未完成兑现的训力券额度累计计入本年度额度
def test_prior_year_unredeemed_taking_most_of_the_cap_leaves_only_the_rest() -> None:
    verdict = run(application(), references=refs(prior_year_unredeemed={APPLICANT: Decimal("9800000.00")}))
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("200000.00")
    assert verdict.reserve_cny == Decimal("200000.00")
    assert finding(verdict, "AMT-ANNUAL-CAP").limit == "200000.00"


def test_prior_year_and_this_years_vouchers_together_limit_the_room() -> None:
    ledger = LedgerView(
        prior_unredeemed_cny=Decimal("3000000.00"), reserved_or_granted_cny=Decimal("6500000.00")
    )
    verdict = run(application(), ledger=ledger)
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("500000.00")


def test_the_larger_of_the_ledgers_and_the_reference_prior_year_figure_is_used() -> None:
    ledger = LedgerView(prior_unredeemed_cny=Decimal("9000000.00"))
    references = refs(prior_year_unredeemed={APPLICANT: Decimal("9500000.00")})
    verdict = run(application(), ledger=ledger, references=references)
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("500000.00")


@pytest.mark.parametrize(
    ("prior", "reserved"),
    [("10000000.00", "0.00"), ("0.00", "10000000.00"), ("4000000.00", "6000000.00"), ("12000000.00", "0.00")],
)
def test_no_room_left_under_the_cap_fails_the_application(prior: str, reserved: str) -> None:
    ledger = LedgerView(prior_unredeemed_cny=Decimal(prior), reserved_or_granted_cny=Decimal(reserved))
    verdict = run(application(), ledger=ledger)
    cap = finding(verdict, "AMT-ANNUAL-CAP")
    assert (cap.result, cap.limit) == ("fail", "0.00")
    assert verdict.outcome == "fail"
    assert verdict.voucher is None
    assert verdict.reserve_cny == 0


def test_one_fen_of_room_left_still_grants_one_fen() -> None:
    ledger = LedgerView(reserved_or_granted_cny=Decimal("9999999.99"))
    verdict = run(application(), ledger=ledger)
    assert verdict.outcome == "pass"
    assert verdict.reserve_cny == Decimal("0.01")


def test_allocation_refuses_the_same_contract_twice() -> None:
    c = Contract.model_validate(contract())
    with pytest.raises(ValueError, match="once"):
        allocate([c, c], Decimal("0.50"), Decimal("10000000.00"))
