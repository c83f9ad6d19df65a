"""Wordings of the amount findings (AMT-*): the rate, the yearly minimum spend, the yearly cap.

Also the wording the rule book gives a contract that has no conflict-of-interest verdict.
Amounts come as they are shown (1,200,000.00), rates as percentages (50%), dates in ISO-8601.
"""

from __future__ import annotations

from vouchers_shared.wording.registry import wording


@wording("AMT-RATE.young")
def _rate_young(*, registered_on: str, published: str, rate: str) -> tuple[str, str]:
    return (
        f"企业于{registered_on}注册，至指南发布之日（{published}）未满一周年，抵扣比例为{rate}。",
        f"Registered on {registered_on}, less than a year before the guide was "
        f"published ({published}): rate {rate}.",
    )


@wording("AMT-RATE.public_institution")
def _rate_public_institution(*, rate: str) -> tuple[str, str]:
    return (
        f"申请单位为事业单位，不属于企业，注册未满一周年亦不适用提高比例，抵扣比例为{rate}。",
        f"A public institution is not an enterprise, however recently registered: rate {rate}.",
    )


@wording("AMT-RATE.standard")
def _rate_standard(*, rate: str, young_rate: str, published: str) -> tuple[str, str]:
    return (
        f"抵扣比例为{rate}（注册时间未满一周年的企业方可提高至{young_rate}）。",
        f"Rate {rate}; only enterprises registered less than a year before the guide was "
        f"published ({published}) get {young_rate}.",
    )


@wording("AMT-MIN-SPEND.no_contract")
def _min_spend_no_contract() -> tuple[str, str]:
    return "没有符合条件的服务合同。", "No contract passes the contract rules."


@wording("AMT-MIN-SPEND.pass")
def _min_spend_pass(*, spend: str, least: str) -> tuple[str, str]:
    return (
        f"符合条件的合同金额合计{spend}元，达到{least}元（含）以上。",
        f"Eligible spend of CNY {spend} reaches CNY {least}.",
    )


@wording("AMT-MIN-SPEND.fail")
def _min_spend_fail(*, spend: str, least: str) -> tuple[str, str]:
    return (
        f"符合条件的合同金额合计{spend}元，未达到{least}元。",
        f"Eligible spend of CNY {spend} is below CNY {least}.",
    )


def _used(cap: str, prior: str, used: str) -> tuple[str, str]:
    """How the yearly cap is taken up, as the AMT-ANNUAL-CAP wordings end."""
    return (
        f"（年度额度{cap}元，上年度未兑现{prior}元，本年度已申请{used}元）",
        f" (cap CNY {cap}, prior-year unredeemed CNY {prior}, this year so far CNY {used})",
    )


@wording("AMT-ANNUAL-CAP.no_room")
def _annual_cap_no_room(*, cap: str, prior: str, used: str) -> tuple[str, str]:
    zh, en = _used(cap, prior, used)
    return f"本年度训力券额度已用完{zh}。", f"No room is left under the yearly cap{en}."


@wording("AMT-ANNUAL-CAP.capped")
def _annual_cap_capped(*, uncapped: str, total: str, cap: str, prior: str, used: str) -> tuple[str, str]:
    zh, en = _used(cap, prior, used)
    return (
        f"按比例计算{uncapped}元，超过剩余额度，核定为{total}元{zh}。",
        f"CNY {uncapped} exceeds the room left; the voucher is capped at CNY {total}{en}.",
    )


@wording("AMT-ANNUAL-CAP.pass")
def _annual_cap_pass(*, total: str, left: str, cap: str, prior: str, used: str) -> tuple[str, str]:
    zh, en = _used(cap, prior, used)
    return (
        f"核定训力券{total}元，未超过剩余额度{left}元{zh}。",
        f"Voucher of CNY {total} fits in the CNY {left} left{en}.",
    )
