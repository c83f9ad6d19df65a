"""Contract rules (CON-*): a contract failing any of them is excluded; the application goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set

from vouchers_shared.application import Contract
from vouchers_shared.findings import Finding
from vouchers_shared.program import DateWindow, ProgramParams
from vouchers_shared.refdata import ProviderBatches

from eligibility.domain.outcome import Outcome, cny, day, rule, shown

ContractKey = tuple[str, str]
"""(provider USCC, contract number): what makes a contract the same contract."""

TRAINING_KINDS = ("pretraining", "sft", "rl", "other")
TRAINING_KIND_NAMES = {
    "pretraining": "预训练",
    "sft": "有监督微调",
    "rl": "强化学习",
    "other": "其他训练",
}
SERVICE_TYPE_NAMES = {"training": "训练", "inference": "推理"}
Providers = Mapping[str, ProviderBatches]
"""Registered provider USCC → the batch in which each of its service items was admitted."""


def contract_key(c: Contract) -> ContractKey:
    """The key a contract is declared under."""
    return (c.provider_uscc, c.contract_no)


def repeated_keys(contracts: Sequence[Contract]) -> frozenset[ContractKey]:
    """Keys that occur more than once in one application."""
    counts = Counter(contract_key(c) for c in contracts)
    return frozenset(k for k, n in counts.items() if n > 1)


def _batch_window(
    c: Contract, providers: Providers, params: ProgramParams
) -> tuple[int | None, DateWindow | None]:
    # The window is that of the batch that admitted the contract's service item: a provider
    # admitted in batch 1 for training and again in batch 2 for inference (包含新增服务事项)
    # signs inference contracts in the batch 2 window.
    admitted = providers.get(c.provider_uscc)
    batch = admitted.batch_of(c.service_type) if admitted is not None else None
    return batch, (params.provider_batch_windows.get(batch) if batch is not None else None)


def _batch_words(c: Contract, batch: int) -> tuple[str, str]:
    """The batch named with the service item it admitted, Chinese and English."""
    return (
        f"第{batch}批（{SERVICE_TYPE_NAMES[c.service_type]}服务事项入库批次）",
        f"batch {batch} (which admitted the provider's {c.service_type} service)",
    )


def _no_window(batch: int | None, what_zh: str, what_en: str, observed: str) -> Outcome:
    # The window rules report fail, not nothing, when the batch is unknown: a verdict shows
    # every rule for every contract, so a missing row would read as "not checked", and a
    # Finding has no "not applicable" result. The fail changes nothing for the contract, which
    # CON-PROVIDER-REGISTERED (or the program's window table) has already excluded.
    if batch is None:
        return Outcome.fail(
            f"服务机构不在入库名单，批次未知，无法判断{what_zh}。",
            f"The provider is not registered, so its batch and window are unknown: the {what_en} "
            "cannot be judged.",
            observed=observed,
            limit="batch unknown",
        )
    return Outcome.fail(
        f"本年度指南未规定第{batch}批入库服务机构的合同时间，无法判断{what_zh}。",
        f"This program year sets no window for provider batch {batch}: the {what_en} cannot be judged.",
        observed=observed,
        limit=f"no window for batch {batch}",
    )


@rule("CON-PROVIDER-REGISTERED", clause="三(二)注", kind="contract")
def provider_registered(c: Contract, providers: Providers) -> Outcome:
    """The provider is in the registry of voucher service providers."""
    admitted = providers.get(c.provider_uscc)
    if admitted is None:
        return Outcome.fail(
            f"服务机构{c.provider_name}（{c.provider_uscc}）不是训力券入库服务机构。",
            f"The provider {c.provider_uscc} is not a registered voucher service provider.",
            observed=c.provider_uscc,
            limit="registered provider",
        )
    batch, first = admitted.batch_of(c.service_type), admitted.first_batch
    zh, en = f"服务机构为第{first}批入库服务机构", f"The provider is registered (batch {first}"
    if batch != first:
        zh += f"，{SERVICE_TYPE_NAMES[c.service_type]}服务事项于第{batch}批新增入库"
        en += f"; its {c.service_type} service was added in batch {batch}"
    return Outcome.ok(zh + "。", en + ").", observed=f"batch {batch}", limit="registered provider")


@rule("CON-SIGNING-WINDOW", clause="三(二)注", kind="contract")
def signing_window(c: Contract, providers: Providers, params: ProgramParams) -> Outcome:
    """The contract was signed inside the window of the batch that admitted its service item."""
    batch, window = _batch_window(c, providers, params)
    if window is None or batch is None:
        return _no_window(batch, "签订时间", "signing date", day(c.signed_on))
    span = f"{day(window.opens)} .. {day(window.closes)}"
    details: dict[str, str | None] = {"observed": day(c.signed_on), "limit": span}
    zh, en = _batch_words(c, batch)
    if window.contains(c.signed_on):
        return Outcome.ok(
            f"合同签订于{day(c.signed_on)}，在{zh}服务机构的合同时间内。",
            f"Signed on {day(c.signed_on)}, inside the window of {en}.",
            **details,
        )
    return Outcome.fail(
        f"合同签订于{day(c.signed_on)}，不在{zh}服务机构的合同时间"
        f"（{day(window.opens)}至{day(window.closes)}）内。",
        f"Signed on {day(c.signed_on)}, outside the window of {en} "
        f"({day(window.opens)} to {day(window.closes)}).",
        **details,
    )


@rule("CON-SERVICE-PERIOD", clause="三(二)注", kind="contract")
def service_period(c: Contract, providers: Providers, params: ProgramParams) -> Outcome:
    """The service starts and ends inside the window of the batch that admitted its item."""
    batch, window = _batch_window(c, providers, params)
    period = f"{day(c.service_start)} .. {day(c.service_end)}"
    if window is None or batch is None:
        return _no_window(batch, "服务期", "service period", period)
    details: dict[str, str | None] = {
        "observed": period,
        "limit": f"{day(window.opens)} .. {day(window.closes)}",
    }
    # 在上述期间完成 is read as start and end both inside the window. A service starting before
    # the signing date is not refused: the guide dates the contract and the work separately.
    if c.service_end < c.service_start:
        return Outcome.fail("服务结束日期早于开始日期。", "The service ends before it starts.", **details)
    zh, en = _batch_words(c, batch)
    if window.contains(c.service_start) and window.contains(c.service_end):
        return Outcome.ok(
            f"服务期在{zh}服务机构的合同时间内完成。",
            f"The service runs inside the window of {en}.",
            **details,
        )
    return Outcome.fail(
        f"服务期（{day(c.service_start)}至{day(c.service_end)}）超出{zh}服务机构的"
        f"合同时间（{day(window.opens)}至{day(window.closes)}）。",
        f"The service ({period}) does not lie inside the window of {en}.",
        **details,
    )


def _content_problems(c: Contract) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    # The guide's list of training ends in 等, so `other` counts when the description (required
    # for every contract) says what it is; a training contract must still say which kind it is.
    if c.service_type == "training" and c.training_kind not in TRAINING_KINDS:
        problems.append(("未说明训练类型", "the kind of training is not stated"))
    if not c.description.strip():
        problems.append(("未说明训练、推理的具体内容", "the description of the work is empty"))
    if c.amount_cny <= 0:
        problems.append(("收费金额不为正数", "the amount is not positive"))
    return problems


@rule("CON-CONTENT", clause="三(二)注; 五(三)", kind="contract")
def content(c: Contract) -> Outcome:
    """The contract rents compute for AI model training or validation inference, with an amount."""
    what = c.service_type if c.training_kind is None else f"{c.service_type}/{c.training_kind}"
    details: dict[str, str | None] = {
        "observed": f"{what}; {cny(c.amount_cny)}",
        "limit": "training (pretraining, sft, rl, other) or inference; amount > 0",
    }
    problems = _content_problems(c)
    if problems:
        return Outcome.fail(
            "合同内容不符合要求：" + "；".join(zh for zh, _ in problems) + "。",
            "The contract content does not qualify: " + "; ".join(en for _, en in problems) + ".",
            **details,
        )
    kind_zh = TRAINING_KIND_NAMES.get(c.training_kind or "", "")
    zh = "阶段性训练成果的验证性推理"
    if c.service_type == "training":
        zh = f"大模型训练（{kind_zh}）"
    return Outcome.ok(
        f"合同内容为{zh}，收费金额{shown(c.amount_cny)}元。",
        f"The contract is for {what}, amount CNY {shown(c.amount_cny)}.",
        **details,
    )


@rule("CON-OTHER-FUNDING", clause="四(一)4", kind="contract")
def other_funding(c: Contract, params: ProgramParams) -> Outcome:
    """Other public funding for the same project is not more than 50% of the contract amount."""
    # 累计金额 is read as the other public funding alone against the contract amount, as the rule
    # book states it; within the limit the voucher is not reduced by the other funding.
    limit = c.amount_cny * params.other_funding_max_ratio
    other = c.other_public_funding_cny
    pct = f"{params.other_funding_max_ratio * 100:.0f}%"
    details: dict[str, str | None] = {
        "observed": cny(other),
        "limit": cny(limit),
        "clause": params.clause("other_funding_max_ratio"),
    }
    if other <= limit:
        return Outcome.ok(
            f"其他财政资金资助{shown(other)}元，未超过合同金额的{pct}。",
            f"Other public funding of CNY {shown(other)} is not more than {pct} of the amount.",
            **details,
        )
    return Outcome.fail(
        f"其他各级财政资金资助累计{shown(other)}元，超过合同金额的{pct}（{shown(limit)}元），不予资助。",
        f"Other public funding of CNY {shown(other)} is more than {pct} of the contract amount "
        f"(CNY {shown(limit)}).",
        **details,
    )


@rule("CON-NOT-DUPLICATE", clause="三(一)2", kind="contract")
def not_duplicate(
    c: Contract, declared_elsewhere: Set[ContractKey], repeated_here: Set[ContractKey]
) -> Outcome:
    """The contract is not declared twice: not in another live application, not twice here."""
    key = contract_key(c)
    details: dict[str, str | None] = {
        "observed": f"{c.provider_uscc}/{c.contract_no}",
        "limit": "declared once",
    }
    if key in declared_elsewhere:
        return Outcome.fail(
            f"合同{c.contract_no}已在本单位本年度的其他申请中申报，不得重复抵扣。",
            f"Contract {c.contract_no} is already declared in another application of this "
            "applicant this year.",
            **details,
        )
    # Both copies fail, so which one survives never depends on the order they were listed in.
    if key in repeated_here:
        return Outcome.fail(
            f"合同{c.contract_no}在本申请中重复申报。",
            f"Contract {c.contract_no} is declared more than once in this application.",
            **details,
        )
    return Outcome.ok(
        f"合同{c.contract_no}未重复申报。",
        f"Contract {c.contract_no} is declared once.",
        **details,
    )


def contract_findings(
    c: Contract,
    *,
    providers: Providers,
    declared_elsewhere: Set[ContractKey],
    repeated_here: Set[ContractKey],
    params: ProgramParams,
) -> list[Finding]:
    """Every contract rule for one contract, in a fixed order."""
    return [
        provider_registered(c, providers),
        signing_window(c, providers, params),
        service_period(c, providers, params),
        content(c),
        other_funding(c, params),
        not_duplicate(c, declared_elsewhere, repeated_here),
    ]
