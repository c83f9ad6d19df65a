"""Contract rules (CON-*): a contract failing any of them is excluded; the application goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set
from typing import Literal

from vouchers_shared.application import Contract
from vouchers_shared.findings import Finding
from vouchers_shared.program import DateWindow, ProgramParams
from vouchers_shared.refdata import ProviderBatches
from vouchers_shared.wording import say

from eligibility.domain.outcome import Outcome, cny, day, rule, shown

ContractKey = tuple[str, str]
"""(provider USCC, contract number): what makes a contract the same contract."""

TRAINING_KINDS = ("pretraining", "sft", "rl", "other")
Providers = Mapping[str, ProviderBatches]
"""Registered provider USCC → the batch in which each of its service items was admitted."""
WindowRule = Literal["CON-SIGNING-WINDOW", "CON-SERVICE-PERIOD"]
"""The rules judged against a batch's window: each words `.batch_unknown` and `.no_window`."""


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


def _no_window(rule_id: WindowRule, batch: int | None, observed: str) -> Outcome:
    # The window rules report fail, not nothing, when the batch is unknown: a verdict shows
    # every rule for every contract, so a missing row would read as "not checked", and a
    # Finding has no "not applicable" result. The fail changes nothing for the contract, which
    # CON-PROVIDER-REGISTERED (or the program's window table) has already excluded.
    if batch is None:
        return Outcome.fail(say(f"{rule_id}.batch_unknown"), observed=observed, limit="batch unknown")
    return Outcome.fail(
        say(f"{rule_id}.no_window", batch=str(batch)),
        observed=observed,
        limit=f"no window for batch {batch}",
    )


@rule("CON-PROVIDER-REGISTERED", clause="三(二)注", kind="contract")
def provider_registered(c: Contract, providers: Providers) -> Outcome:
    """The provider is in the registry of voucher service providers."""
    admitted = providers.get(c.provider_uscc)
    if admitted is None:
        return Outcome.fail(
            say("CON-PROVIDER-REGISTERED.fail", provider=c.provider_name, uscc=c.provider_uscc),
            observed=c.provider_uscc,
            limit="registered provider",
        )
    batch, first = admitted.batch_of(c.service_type), admitted.first_batch
    text = say("CON-PROVIDER-REGISTERED.pass", first=str(first))
    if batch != first:
        text = say(
            "CON-PROVIDER-REGISTERED.pass_item_added",
            first=str(first),
            service=c.service_type,
            batch=str(batch),
        )
    return Outcome.ok(text, observed=f"batch {batch}", limit="registered provider")


@rule("CON-SIGNING-WINDOW", clause="三(二)注", kind="contract")
def signing_window(c: Contract, providers: Providers, params: ProgramParams) -> Outcome:
    """The contract was signed inside the window of the batch that admitted its service item."""
    batch, window = _batch_window(c, providers, params)
    if window is None or batch is None:
        return _no_window("CON-SIGNING-WINDOW", batch, day(c.signed_on))
    span = f"{day(window.opens)} .. {day(window.closes)}"
    details: dict[str, str | None] = {"observed": day(c.signed_on), "limit": span}
    signed = {"signed": day(c.signed_on), "batch": str(batch), "service": c.service_type}
    if window.contains(c.signed_on):
        return Outcome.ok(say("CON-SIGNING-WINDOW.pass", **signed), **details)
    return Outcome.fail(
        say("CON-SIGNING-WINDOW.fail", **signed, opens=day(window.opens), closes=day(window.closes)),
        **details,
    )


@rule("CON-SERVICE-PERIOD", clause="三(二)注", kind="contract")
def service_period(c: Contract, providers: Providers, params: ProgramParams) -> Outcome:
    """The service starts and ends inside the window of the batch that admitted its item."""
    batch, window = _batch_window(c, providers, params)
    period = f"{day(c.service_start)} .. {day(c.service_end)}"
    if window is None or batch is None:
        return _no_window("CON-SERVICE-PERIOD", batch, period)
    details: dict[str, str | None] = {
        "observed": period,
        "limit": f"{day(window.opens)} .. {day(window.closes)}",
    }
    # 在上述期间完成 is read as start and end both inside the window. A service starting before
    # the signing date is not refused: the guide dates the contract and the work separately.
    if c.service_end < c.service_start:
        return Outcome.fail(say("CON-SERVICE-PERIOD.ends_before_start"), **details)
    item = {"batch": str(batch), "service": c.service_type}
    if window.contains(c.service_start) and window.contains(c.service_end):
        return Outcome.ok(say("CON-SERVICE-PERIOD.pass", **item), **details)
    return Outcome.fail(
        say(
            "CON-SERVICE-PERIOD.fail",
            start=day(c.service_start),
            end=day(c.service_end),
            **item,
            opens=day(window.opens),
            closes=day(window.closes),
        ),
        **details,
    )


def _content_problems(c: Contract) -> list[str]:
    """The codes of what the contract's content lacks: `kind`, `description`, `amount`."""
    problems: list[str] = []
    # The guide's list of training ends in 等, so `other` counts when the description (required
    # for every contract) says what it is; a training contract must still say which kind it is.
    if c.service_type == "training" and c.training_kind not in TRAINING_KINDS:
        problems.append("kind")
    if not c.description.strip():
        problems.append("description")
    if c.amount_cny <= 0:
        problems.append("amount")
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
        return Outcome.fail(say("CON-CONTENT.fail", problems=",".join(problems)), **details)
    return Outcome.ok(
        say(
            "CON-CONTENT.pass",
            service=c.service_type,
            kind=c.training_kind or "",
            amount=shown(c.amount_cny),
        ),
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
        return Outcome.ok(say("CON-OTHER-FUNDING.pass", other=shown(other), pct=pct), **details)
    return Outcome.fail(
        say("CON-OTHER-FUNDING.fail", other=shown(other), pct=pct, limit=shown(limit)), **details
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
        return Outcome.fail(say("CON-NOT-DUPLICATE.declared_elsewhere", contract_no=c.contract_no), **details)
    # Both copies fail, so which one survives never depends on the order they were listed in.
    if key in repeated_here:
        return Outcome.fail(say("CON-NOT-DUPLICATE.repeated_here", contract_no=c.contract_no), **details)
    return Outcome.ok(say("CON-NOT-DUPLICATE.pass", contract_no=c.contract_no), **details)


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
