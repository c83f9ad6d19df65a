"""Wordings of the contract findings (CON-*), and the names of service types and training kinds.

Rules pass codes, not words: a service type (`training`, `inference`), a training kind, a batch
number, dates and amounts as shown; the names in either language are chosen here.
"""

from __future__ import annotations

from vouchers_shared.wording.registry import codes, wording

__all__ = ["SERVICE_TYPE_NAMES", "TRAINING_KIND_NAMES"]

TRAINING_KIND_NAMES = {
    "pretraining": "预训练",
    "sft": "有监督微调",
    "rl": "强化学习",
    "other": "其他训练",
}
"""Training kind code → its Chinese name."""

SERVICE_TYPE_NAMES = {"training": "训练", "inference": "推理"}
"""Service type code → its Chinese name."""

_CONTENT_PROBLEMS = {
    "kind": ("未说明训练类型", "the kind of training is not stated"),
    "description": ("未说明训练、推理的具体内容", "the description of the work is empty"),
    "amount": ("收费金额不为正数", "the amount is not positive"),
}
"""What a contract's content may lack (CON-CONTENT), by code, in Chinese and English."""


def _batch(batch: str, service: str) -> tuple[str, str]:
    """The batch named with the service item it admitted."""
    return (
        f"第{batch}批（{SERVICE_TYPE_NAMES[service]}服务事项入库批次）",
        f"batch {batch} (which admitted the provider's {service} service)",
    )


# CON-PROVIDER-REGISTERED


@wording("CON-PROVIDER-REGISTERED.fail")
def _provider_unregistered(*, provider: str, uscc: str) -> tuple[str, str]:
    return (
        f"服务机构{provider}（{uscc}）不是训力券入库服务机构。",
        f"The provider {uscc} is not a registered voucher service provider.",
    )


@wording("CON-PROVIDER-REGISTERED.pass")
def _provider_registered(*, first: str) -> tuple[str, str]:
    return f"服务机构为第{first}批入库服务机构。", f"The provider is registered (batch {first})."


@wording("CON-PROVIDER-REGISTERED.pass_item_added")
def _provider_item_added(*, first: str, service: str, batch: str) -> tuple[str, str]:
    return (
        f"服务机构为第{first}批入库服务机构，{SERVICE_TYPE_NAMES[service]}服务事项于第{batch}批新增入库。",
        f"The provider is registered (batch {first}; its {service} service was added in batch {batch}).",
    )


# The window rules' texts when the batch or its window is unknown.


def _batch_unknown(what_zh: str, what_en: str) -> tuple[str, str]:
    return (
        f"服务机构不在入库名单，批次未知，无法判断{what_zh}。",
        f"The provider is not registered, so its batch and window are unknown: the {what_en} "
        "cannot be judged.",
    )


def _no_window(batch: str, what_zh: str, what_en: str) -> tuple[str, str]:
    return (
        f"本年度指南未规定第{batch}批入库服务机构的合同时间，无法判断{what_zh}。",
        f"This program year sets no window for provider batch {batch}: the {what_en} cannot be judged.",
    )


# CON-SIGNING-WINDOW


@wording("CON-SIGNING-WINDOW.pass")
def _signed_inside(*, signed: str, batch: str, service: str) -> tuple[str, str]:
    zh, en = _batch(batch, service)
    return (
        f"合同签订于{signed}，在{zh}服务机构的合同时间内。",
        f"Signed on {signed}, inside the window of {en}.",
    )


@wording("CON-SIGNING-WINDOW.fail")
def _signed_outside(*, signed: str, batch: str, service: str, opens: str, closes: str) -> tuple[str, str]:
    zh, en = _batch(batch, service)
    return (
        f"合同签订于{signed}，不在{zh}服务机构的合同时间（{opens}至{closes}）内。",
        f"Signed on {signed}, outside the window of {en} ({opens} to {closes}).",
    )


@wording("CON-SIGNING-WINDOW.batch_unknown")
def _signing_batch_unknown() -> tuple[str, str]:
    return _batch_unknown("签订时间", "signing date")


@wording("CON-SIGNING-WINDOW.no_window")
def _signing_no_window(*, batch: str) -> tuple[str, str]:
    return _no_window(batch, "签订时间", "signing date")


# CON-SERVICE-PERIOD


@wording("CON-SERVICE-PERIOD.pass")
def _period_inside(*, batch: str, service: str) -> tuple[str, str]:
    zh, en = _batch(batch, service)
    return f"服务期在{zh}服务机构的合同时间内完成。", f"The service runs inside the window of {en}."


@wording("CON-SERVICE-PERIOD.fail")
def _period_outside(
    *, start: str, end: str, batch: str, service: str, opens: str, closes: str
) -> tuple[str, str]:
    zh, en = _batch(batch, service)
    return (
        f"服务期（{start}至{end}）超出{zh}服务机构的合同时间（{opens}至{closes}）。",
        f"The service ({start} .. {end}) does not lie inside the window of {en}.",
    )


@wording("CON-SERVICE-PERIOD.ends_before_start")
def _period_backwards() -> tuple[str, str]:
    return "服务结束日期早于开始日期。", "The service ends before it starts."


@wording("CON-SERVICE-PERIOD.batch_unknown")
def _period_batch_unknown() -> tuple[str, str]:
    return _batch_unknown("服务期", "service period")


@wording("CON-SERVICE-PERIOD.no_window")
def _period_no_window(*, batch: str) -> tuple[str, str]:
    return _no_window(batch, "服务期", "service period")


# CON-CONTENT


@wording("CON-CONTENT.fail")
def _content_fail(*, problems: str) -> tuple[str, str]:
    named = [_CONTENT_PROBLEMS[code] for code in codes(problems)]
    return (
        "合同内容不符合要求：" + "；".join(zh for zh, _ in named) + "。",
        "The contract content does not qualify: " + "; ".join(en for _, en in named) + ".",
    )


@wording("CON-CONTENT.pass")
def _content_pass(*, service: str, kind: str, amount: str) -> tuple[str, str]:
    """`kind` is the training kind's code, empty when the contract names none."""
    work = "阶段性训练成果的验证性推理"
    if service == "training":
        work = f"大模型训练（{TRAINING_KIND_NAMES.get(kind, '')}）"
    what = f"{service}/{kind}" if kind else service
    return f"合同内容为{work}，收费金额{amount}元。", f"The contract is for {what}, amount CNY {amount}."


# CON-OTHER-FUNDING


@wording("CON-OTHER-FUNDING.pass")
def _funding_within(*, other: str, pct: str) -> tuple[str, str]:
    return (
        f"其他财政资金资助{other}元，未超过合同金额的{pct}。",
        f"Other public funding of CNY {other} is not more than {pct} of the amount.",
    )


@wording("CON-OTHER-FUNDING.fail")
def _funding_over(*, other: str, pct: str, limit: str) -> tuple[str, str]:
    return (
        f"其他各级财政资金资助累计{other}元，超过合同金额的{pct}（{limit}元），不予资助。",
        f"Other public funding of CNY {other} is more than {pct} of the contract amount (CNY {limit}).",
    )


# CON-NOT-DUPLICATE


@wording("CON-NOT-DUPLICATE.declared_elsewhere")
def _declared_elsewhere(*, contract_no: str) -> tuple[str, str]:
    return (
        f"合同{contract_no}已在本单位本年度的其他申请中申报，不得重复抵扣。",
        f"Contract {contract_no} is already declared in another application of this applicant this year.",
    )


@wording("CON-NOT-DUPLICATE.repeated_here")
def _repeated_here(*, contract_no: str) -> tuple[str, str]:
    return (
        f"合同{contract_no}在本申请中重复申报。",
        f"Contract {contract_no} is declared more than once in this application.",
    )


@wording("CON-NOT-DUPLICATE.pass")
def _declared_once(*, contract_no: str) -> tuple[str, str]:
    return f"合同{contract_no}未重复申报。", f"Contract {contract_no} is declared once."
