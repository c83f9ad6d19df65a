"""A reviewed application's voucher, settled against the yearly room left when it is passed.

An application held for review reserves nothing (rulebook.assess): its proposed voucher is for
the operator to see. Other applications of the same applicant may pass meanwhile and use up
the room. So when an operator passes the review, the voucher is reserved like any passing
verdict, against the room left at that moment (三(一)2 同一需求方每一年度累计申请的训力券额度最高
1000万元): the same contracts at the same rate, cut to the room (`AMT-ANNUAL-CAP`), or failed when
no room is left.
"""

from __future__ import annotations

from collections.abc import Sequence

from vouchers_shared.application import Application, Contract
from vouchers_shared.events import Voucher
from vouchers_shared.findings import Finding
from vouchers_shared.program import ProgramParams

from eligibility.domain.amounts import ZERO, Room, allocate, annual_cap
from eligibility.domain.rulebook import Decision, Verdict

CAP_RULE = "AMT-ANNUAL-CAP"


def counted_contracts(application: Application, voucher: Voucher) -> list[Contract]:
    """The application's contracts the voucher was computed on, in the order it lists them."""
    wanted = [(v.contract_no, v.amount_cny) for v in voucher.by_contract]
    counted: list[Contract] = []
    for contract in application.contracts:
        if wanted and (contract.contract_no, contract.amount_cny) == wanted[0]:
            counted.append(contract)
            wanted.pop(0)
    if wanted:
        raise ValueError(f"the voucher names contracts the application does not have: {wanted}")
    return counted


def settle_review(
    application: Application,
    *,
    application_id: str,
    proposed: Sequence[Finding],
    voucher: Voucher | None,
    outcome: Decision,
    room: Room,
    params: ProgramParams,
) -> Verdict:
    """The verdict once an operator has passed the review: reserve what the room allows now.

    `proposed`, `voucher` and `outcome` are the rule book's verdict as it was emitted. A failed
    verdict stays failed: a review never overrides a rule that failed.
    """
    if outcome == "fail" or voucher is None:
        return Verdict(
            application_id=application_id,
            outcome="fail",
            findings=list(proposed),
            voucher=None,
            reserve_cny=ZERO,
        )
    alloc = allocate(counted_contracts(application, voucher), voucher.rate, room.left)
    cap = annual_cap(alloc, room, params)
    findings = [cap if f.rule == CAP_RULE else f for f in proposed]
    if not any(f.rule == CAP_RULE for f in proposed):
        findings.append(cap)
    if cap.result == "fail" or alloc.total <= ZERO:
        return Verdict(
            application_id=application_id, outcome="fail", findings=findings, voucher=None, reserve_cny=ZERO
        )
    settled = Voucher(
        rate=alloc.rate,
        eligible_spend_cny=alloc.eligible_spend,
        total_cny=alloc.total,
        by_contract=list(alloc.by_contract),
    )
    return Verdict(
        application_id=application_id,
        outcome="pass",
        findings=findings,
        voucher=settled,
        reserve_cny=alloc.total,
    )
