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
from vouchers_shared.wording import say
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
    pct = f"{rate:.0%}"
    if young.includes(a):
        text = say("AMT-RATE.young", registered_on=day(a.registered_on), published=published, rate=pct)
        return Outcome.ok(text, **details)
    if a.public_institution and young.registered_young(a.registered_on):
        return Outcome.ok(say("AMT-RATE.public_institution", rate=pct), **details)
    young_pct = f"{params.young_enterprise_rate:.0%}"
    text = say("AMT-RATE.standard", rate=pct, young_rate=young_pct, published=published)
    return Outcome.ok(text, **details)


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
        return Outcome.fail(say("AMT-MIN-SPEND.no_contract"), **{**details, "observed": cny(ZERO)})
    figures = {"spend": shown(eligible_spend), "least": shown(least)}
    if eligible_spend >= least:
        return Outcome.ok(say("AMT-MIN-SPEND.pass", **figures), **details)
    return Outcome.fail(say("AMT-MIN-SPEND.fail", **figures), **details)


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
    used = {
        "cap": shown(room.cap),
        "prior": shown(room.prior_unredeemed),
        "used": shown(room.reserved_or_granted),
    }
    if left <= 0:
        return Outcome.fail(say("AMT-ANNUAL-CAP.no_room", **used), **details)
    total = shown(alloc.total)
    if alloc.uncapped > left:
        text = say("AMT-ANNUAL-CAP.capped", uncapped=shown(alloc.uncapped), total=total, **used)
        return Outcome.ok(text, **details)
    return Outcome.ok(say("AMT-ANNUAL-CAP.pass", total=total, left=shown(left), **used), **details)
