"""Properties of the voucher over random applications: bounded, exact, order-independent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from eligibility.domain.amounts import allocate
from eligibility.domain.rulebook import LedgerView, Verdict
from eligibility_testkit import (
    APPLICANT,
    BATCH_PROVIDER,
    UNREGISTERED,
    application,
    contract,
    refs,
    run,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st
from vouchers_shared.application import Application, Contract
from vouchers_shared.events import Voucher

FEN = Decimal("0.01")
CAP = Decimal("10000000.00")
EPOCH = date(2024, 11, 20)

# Mostly inside every batch window and above the minimum spend, so that most cases earn a
# voucher; the full ranges (with their boundaries) are drawn too.
money = st.one_of(
    st.integers(min_value=20_000_000, max_value=2_000_000_000),
    st.integers(min_value=1, max_value=2_000_000_000),
).map(lambda fen: Decimal(fen) * FEN)
days = st.one_of(st.integers(360, 680), st.integers(0, 780)).map(lambda n: EPOCH + timedelta(days=n))


@st.composite
def contracts(draw: st.DrawFn) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.integers(1, 999), min_size=1, max_size=6, unique=True))
    result = []
    for n in numbers:
        signed = draw(days)
        start = signed + timedelta(days=draw(st.integers(0, 30)))
        amount = draw(money)
        other_share = draw(st.sampled_from(["0", "0", "0.3", "0.5", "0.7"]))
        result.append(
            contract(
                contract_no=f"HT-{n:03d}",
                provider_uscc=draw(st.sampled_from([*BATCH_PROVIDER.values()] * 3 + [UNREGISTERED])),
                signed_on=signed.isoformat(),
                service_start=start.isoformat(),
                service_end=(start + timedelta(days=draw(st.integers(0, 120)))).isoformat(),
                amount_cny=f"{amount:.2f}",
                other_public_funding_cny=f"{(amount * Decimal(other_share)).quantize(FEN):.2f}",
                training_kind=draw(st.sampled_from(["pretraining", "sft", "rl", "other"])),
            )
        )
    return result


@st.composite
def cases(draw: st.DrawFn) -> tuple[Application, LedgerView]:
    app = application(
        applicant={
            "org_type": draw(st.sampled_from(["enterprise", "university", "research_institute"])),
            "registered_on": draw(days).isoformat(),
        },
        contracts=draw(contracts()),
    )
    ledger = LedgerView(
        prior_unredeemed_cny=draw(st.sampled_from([Decimal("0.00"), Decimal("3000000.00")])),
        reserved_or_granted_cny=draw(st.just(Decimal("0.00")) | money.filter(lambda m: m <= CAP)),
    )
    return app, ledger


def room(ledger: LedgerView) -> Decimal:
    return max(Decimal(0), CAP - ledger.prior_unredeemed_cny - ledger.reserved_or_granted_cny)


def down(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, ROUND_DOWN)


def rounded_once(v: Voucher) -> Decimal:
    """The sum over the contracts of amount × rate, rounded down once (AMT-ANNUAL-CAP)."""
    return down(sum((c.amount_cny * v.rate for c in v.by_contract), Decimal(0)))


def per_contract(verdict: Verdict) -> dict[str, Decimal]:
    return {c.contract_no: c.voucher_cny for c in verdict.voucher.by_contract} if verdict.voucher else {}


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_voucher_never_exceeds_rate_times_spend_nor_the_room_and_is_never_negative(
    case: tuple[Application, LedgerView],
) -> None:
    app, ledger = case
    verdict = run(app, ledger=ledger)
    event(f"outcome {verdict.outcome}")
    if verdict.voucher is None:
        assert verdict.outcome == "fail"
        assert verdict.reserve_cny == 0
        return
    v = verdict.voucher
    event("capped" if v.total_cny < rounded_once(v) else "not capped")
    assert Decimal(0) <= v.total_cny <= v.rate * v.eligible_spend_cny
    assert v.total_cny == min(down(v.rate * v.eligible_spend_cny), room(ledger))
    assert sum((c.voucher_cny for c in v.by_contract), Decimal(0)) == v.total_cny
    assert sum((c.amount_cny for c in v.by_contract), Decimal(0)) == v.eligible_spend_cny
    for c in v.by_contract:
        # A share is the total apportioned in whole fen: at most a fraction of a fen above its
        # own amount × rate.
        assert Decimal(0) <= c.voucher_cny < c.amount_cny * v.rate + FEN
    assert verdict.reserve_cny == (v.total_cny if verdict.outcome == "pass" else 0)


@settings(max_examples=200, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_the_verdict_does_not_depend_on_the_order_of_the_contracts(
    case: tuple[Application, LedgerView], rnd: Any
) -> None:
    app, ledger = case
    shuffled = list(app.contracts)
    rnd.shuffle(shuffled)
    again = app.model_copy(update={"contracts": shuffled})
    first, second = run(app, ledger=ledger), run(again, ledger=ledger)
    assert first.outcome == second.outcome
    assert per_contract(first) == per_contract(second)
    assert first.reserve_cny == second.reserve_cny
    key = lambda f: (f.rule, f.contract_no or "", f.result)  # noqa: E731
    assert sorted(map(key, first.findings)) == sorted(map(key, second.findings))


@settings(max_examples=100, deadline=None)
@given(contracts(), money)
def test_prior_year_unredeemed_from_reference_data_bounds_the_voucher_too(
    filed: list[dict[str, Any]], prior: Decimal
) -> None:
    verdict = run(application(contracts=filed), references=refs(prior_year_unredeemed={APPLICANT: prior}))
    if verdict.voucher is not None:
        assert verdict.voucher.total_cny <= max(Decimal(0), CAP - prior)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(money, min_size=1, max_size=12),
    st.sampled_from([Decimal("0.50"), Decimal("0.60"), Decimal("0.55"), Decimal("0.3333")]),
    st.one_of(st.integers(0, 100), st.just(200)),
    st.randoms(use_true_random=False),
)
def test_the_total_is_rounded_down_once_capped_by_the_room_and_shared_out_exactly(
    amounts: list[Decimal], rate: Decimal, room_pct: int, rnd: Any
) -> None:
    filed = [
        Contract.model_validate(contract(contract_no=f"HT-{i:02d}", amount_cny=f"{a:.2f}"))
        for i, a in enumerate(amounts)
    ]
    exact = {c.contract_no: c.amount_cny * rate for c in filed}
    raw = down(sum(exact.values(), Decimal(0)))
    room_left = down(raw * room_pct / 100)
    shuffled = list(filed)
    rnd.shuffle(shuffled)
    first, second = allocate(filed, rate, room_left), allocate(shuffled, rate, room_left)
    shares = {c.contract_no: c.voucher_cny for c in first.by_contract}
    event("rounding differs" if raw != sum(map(down, exact.values())) else "rounding agrees")
    assert shares == {c.contract_no: c.voucher_cny for c in second.by_contract}
    assert first.uncapped == raw
    assert first.total == sum(shares.values()) == min(raw, room_left)
    for n, share in shares.items():
        # Each share is its proportional part of the total, in whole fen: within one fen.
        quota = exact[n] * first.total / sum(exact.values(), Decimal(0))
        assert share.as_tuple().exponent == -2
        assert quota - FEN < share < quota + FEN
