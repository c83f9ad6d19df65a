"""Amount rules (AMT-*): the rate, the yearly minimum spend, the voucher under the yearly cap."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from vouchers_shared.application import Applicant, Application, Contract
from vouchers_shared.events import ContractVoucher
from vouchers_shared.program import ProgramParams
from vouchers_shared.types import FEN, round_down_to_fen
from vouchers_shared.young_enterprise import YoungEnterprise

from eligibility.domain.contract_rules import ContractKey, contract_key
from eligibility.domain.outcome import Outcome, cny, day, rule, shown

ZERO = Decimal("0.00")


def applicable_rate(applicant: Applicant, params: ProgramParams) -> Decimal:
    """The share of each contract the voucher may cover."""
    young = YoungEnterprise.of(params).includes(applicant)
    return params.young_enterprise_rate if young else params.standard_rate


@rule("AMT-RATE", clause="三(一)2", kind="amount")
def deduction_rate(app: Application, params: ProgramParams) -> Outcome:
    """Young enterprises get the higher rate, every other applicant the standard rate."""
    a = app.applicant
    rate = applicable_rate(a, params)
    published = day(params.guide_published_on)
    details: dict[str, str | None] = {
        "observed": f"{rate:.2f}",
        "limit": f"{params.young_enterprise_rate:.2f} for an enterprise (not a public "
        f"institution) under "
        f"{params.young_enterprise_max_age_years} year(s) on {published}, "
        f"else {params.standard_rate:.2f}",
        "clause": params.clause("young_enterprise_rate"),
    }
    young = YoungEnterprise.of(params)
    if young.includes(a):
        return Outcome.ok(
            f"企业于{day(a.registered_on)}注册，至指南发布之日（{published}）未满一周年，"
            f"抵扣比例为{rate:.0%}。",
            f"Registered on {day(a.registered_on)}, less than a year before the guide was "
            f"published ({published}): rate {rate:.0%}.",
            **details,
        )
    if a.public_institution and young.registered_young(a.registered_on):
        return Outcome.ok(
            f"申请单位为事业单位，不属于企业，注册未满一周年亦不适用提高比例，抵扣比例为{rate:.0%}。",
            f"A public institution is not an enterprise, however recently registered: rate {rate:.0%}.",
            **details,
        )
    return Outcome.ok(
        f"抵扣比例为{rate:.0%}（注册时间未满一周年的企业方可提高至{params.young_enterprise_rate:.0%}）。",
        f"Rate {rate:.0%}; only enterprises registered less than a year before the guide was "
        f"published ({published}) get {params.young_enterprise_rate:.0%}.",
        **details,
    )


@rule("AMT-MIN-SPEND", clause="三(一)2", kind="amount")
def min_spend(eligible_spend: Decimal, passing: int, params: ProgramParams) -> Outcome:
    """The contracts that pass every contract rule add up to at least the yearly minimum."""
    # 年租用……费用达到50万元 is judged per application on the contracts that pass, as the rule
    # book states; spend declared in the applicant's other applications this year is not added.
    least = params.min_annual_spend_cny
    details: dict[str, str | None] = {
        "observed": cny(eligible_spend),
        "limit": cny(least),
        "clause": params.clause("min_annual_spend_cny"),
    }
    if passing == 0:
        return Outcome.fail(
            "没有符合条件的服务合同。",
            "No contract passes the contract rules.",
            **{**details, "observed": cny(ZERO)},
        )
    if eligible_spend >= least:
        return Outcome.ok(
            f"符合条件的合同金额合计{shown(eligible_spend)}元，达到{shown(least)}元（含）以上。",
            f"Eligible spend of CNY {shown(eligible_spend)} reaches CNY {shown(least)}.",
            **details,
        )
    return Outcome.fail(
        f"符合条件的合同金额合计{shown(eligible_spend)}元，未达到{shown(least)}元。",
        f"Eligible spend of CNY {shown(eligible_spend)} is below CNY {shown(least)}.",
        **details,
    )


@dataclass(frozen=True)
class Room:
    """What is left of the applicant's yearly cap before this application."""

    cap: Decimal
    prior_unredeemed: Decimal
    reserved_or_granted: Decimal

    @property
    def left(self) -> Decimal:
        """The cap less last year's unredeemed vouchers and this year's, never below zero."""
        return max(ZERO, self.cap - self.prior_unredeemed - self.reserved_or_granted)


@dataclass(frozen=True)
class Allocation:
    """The voucher: per contract, in the order given, and in total."""

    rate: Decimal
    eligible_spend: Decimal
    uncapped: Decimal
    """The sum of amount × rate over the contracts, rounded down once, before the cap."""
    total: Decimal
    by_contract: tuple[ContractVoucher, ...]


def allocate(contracts: Sequence[Contract], rate: Decimal, room: Decimal) -> Allocation:
    """The sum of amount × rate rounded down to the fen once, cut back to the room, shared out."""
    # Rounded once per application, as AMT-ANNUAL-CAP states it (parameter voucher_rounding):
    # the contracts are declared together (汇总申报) and the voucher is one amount. Each
    # contract's share of it is apportioned in whole fen so the shares add up to the total; a
    # share may therefore exceed its own amount × rate by a fraction of a fen, the total never.
    keys = [contract_key(c) for c in contracts]
    if len(set(keys)) != len(keys):
        raise ValueError("each contract may be allocated once")
    exact = {contract_key(c): c.amount_cny * rate for c in contracts}
    uncapped = round_down_to_fen(sum(exact.values(), ZERO))
    total = min(uncapped, round_down_to_fen(max(ZERO, room)))
    shares = _share_out(exact, total)
    return Allocation(
        rate=rate,
        eligible_spend=sum((c.amount_cny for c in contracts), ZERO),
        uncapped=uncapped,
        total=total,
        by_contract=tuple(
            ContractVoucher(
                contract_no=c.contract_no,
                amount_cny=c.amount_cny,
                voucher_cny=shares[contract_key(c)],
            )
            for c in contracts
        ),
    )


def _share_out(weights: dict[ContractKey, Decimal], total: Decimal) -> dict[ContractKey, Decimal]:
    """Share `total` out in proportion to the weights, in whole fen adding up to it exactly."""
    # Largest remainder: each gets the whole fen of total × own / all; the fen left over go one
    # each to the largest remainders, ties by (provider, contract number), so the listing order
    # of the contracts never matters. Fractions keep every proportion exact. No share exceeds
    # its weight rounded up to the fen, since the total is at most the sum of the weights.
    whole = sum(weights.values(), ZERO)
    total_fen = int(total / FEN)
    if whole <= 0:
        return dict.fromkeys(weights, ZERO)
    quota = {k: Fraction(total_fen) * Fraction(w) / Fraction(whole) for k, w in weights.items()}
    share = {k: math.floor(q) for k, q in quota.items()}
    left_over = total_fen - sum(share.values())
    ranked = sorted((k for k in weights if weights[k] > 0), key=lambda k: (share[k] - quota[k], k))
    for k in ranked[:left_over]:
        share[k] += 1
    return {k: Decimal(f) * FEN for k, f in share.items()}


@rule("AMT-ANNUAL-CAP", clause="三(一)2", kind="amount")
def annual_cap(alloc: Allocation, room: Room, params: ProgramParams) -> Outcome:
    """The voucher fits in what is left of the yearly cap; no room left fails."""
    left = room.left
    details: dict[str, str | None] = {
        "observed": cny(alloc.uncapped),
        "limit": cny(left),
        "clause": params.clause("annual_cap_cny"),
    }
    used_zh = (
        f"（年度额度{shown(room.cap)}元，上年度未兑现{shown(room.prior_unredeemed)}元，"
        f"本年度已申请{shown(room.reserved_or_granted)}元）"
    )
    used_en = (
        f" (cap CNY {shown(room.cap)}, prior-year unredeemed "
        f"CNY {shown(room.prior_unredeemed)}, this year so far "
        f"CNY {shown(room.reserved_or_granted)})"
    )
    if left <= 0:
        return Outcome.fail(
            "本年度训力券额度已用完" + used_zh + "。",
            "No room is left under the yearly cap" + used_en + ".",
            **details,
        )
    if alloc.uncapped > left:
        return Outcome.ok(
            f"按比例计算{shown(alloc.uncapped)}元，超过剩余额度，核定为{shown(alloc.total)}元"
            + used_zh
            + "。",
            f"CNY {shown(alloc.uncapped)} exceeds the room left; the voucher is capped at "
            f"CNY {shown(alloc.total)}" + used_en + ".",
            **details,
        )
    return Outcome.ok(
        f"核定训力券{shown(alloc.total)}元，未超过剩余额度{shown(left)}元" + used_zh + "。",
        f"Voucher of CNY {shown(alloc.total)} fits in the CNY {shown(left)} left" + used_en + ".",
        **details,
    )
