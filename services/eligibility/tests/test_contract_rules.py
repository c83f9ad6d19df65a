"""Contract rules (CON-*), case tables from the guide's 三(二)注, 四(一)4 and 三(一)2."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from eligibility.domain.contract_rules import (
    content,
    other_funding,
    provider_registered,
    service_period,
    signing_window,
)
from eligibility_testkit import (
    BATCH_PROVIDER,
    PARAMS,
    PROVIDER_1,
    PROVIDER_2,
    PROVIDERS,
    UNREGISTERED,
    application,
    contract,
    finding,
    make_uscc,
    refs,
    registered,
    run,
    voucher_by_contract,
)
from vouchers_shared.application import Contract
from vouchers_shared.refdata import ProviderBatches

# 三(二)注: 第一批 2024年12月9日, 第二批 2025年4月7日, 第三批 2025年11月14日, 均至2026年12月31日
OPENS = {1: date(2024, 12, 9), 2: date(2025, 4, 7), 3: date(2025, 11, 14)}
CLOSES = date(2026, 12, 31)
DAY = timedelta(days=1)


def one(**changes: object) -> Contract:
    return Contract.model_validate(contract(**changes))


def signing_cases() -> list[tuple[int, date, str]]:
    cases = []
    for batch, opens in OPENS.items():
        cases += [
            (batch, opens - DAY, "fail"),
            (batch, opens, "pass"),
            (batch, CLOSES, "pass"),
            (batch, CLOSES + DAY, "fail"),
        ]
    return cases


@pytest.mark.parametrize(("batch", "signed_on", "expected"), signing_cases())
def test_a_contract_must_be_signed_inside_its_providers_batch_window(
    batch: int, signed_on: date, expected: str
) -> None:
    c = one(
        provider_uscc=BATCH_PROVIDER[batch],
        signed_on=signed_on.isoformat(),
        service_start=max(signed_on, OPENS[batch]).isoformat(),
        service_end=CLOSES.isoformat(),
    )
    found = signing_window(c, PROVIDERS, PARAMS)
    assert (found.rule, found.clause, found.result) == ("CON-SIGNING-WINDOW", "三(二)注", expected)
    assert found.contract_no == "HT-001"


def test_contract_signed_the_day_before_batch_two_opens_is_excluded() -> None:
    excluded = contract(
        contract_no="HT-EARLY",
        provider_uscc=PROVIDER_2,
        signed_on="2025-04-06",
        service_start="2025-04-07",
        amount_cny="800000.00",
    )
    kept = contract(
        contract_no="HT-OK",
        provider_uscc=PROVIDER_2,
        signed_on="2025-04-07",
        service_start="2025-04-07",
        amount_cny="600000.00",
    )
    verdict = run(application(contracts=[excluded, kept]))
    assert finding(verdict, "CON-SIGNING-WINDOW", "HT-EARLY").result == "fail"
    assert finding(verdict, "CON-SIGNING-WINDOW", "HT-OK").result == "pass"
    assert verdict.outcome == "pass"
    assert voucher_by_contract(verdict) == {"HT-OK": Decimal("300000.00")}  # 50% of 600,000
    assert finding(verdict, "AMT-MIN-SPEND").observed == "600000.00"


def test_a_batch_one_contract_signed_on_9_december_2024_counts() -> None:
    c = contract(signed_on="2024-12-09", service_start="2024-12-09", service_end="2025-06-30")
    verdict = run(application(contracts=[c]))
    assert verdict.outcome == "pass"


def test_a_batch_three_contract_signed_before_14_november_2025_is_excluded() -> None:
    c = contract(provider_uscc=BATCH_PROVIDER[3], signed_on="2025-11-13", service_start="2025-11-14")
    verdict = run(application(contracts=[c]))
    assert finding(verdict, "CON-SIGNING-WINDOW", "HT-001").result == "fail"
    assert verdict.outcome == "fail"
    assert verdict.failed_rules() == ["CON-SIGNING-WINDOW", "AMT-MIN-SPEND"]


# 三(二)注: 并在上述期间完成合同或协议所对应的……训练……或推理
@pytest.mark.parametrize(
    ("batch", "start", "end", "expected"),
    [
        (2, OPENS[2], CLOSES, "pass"),
        (2, OPENS[2] - DAY, CLOSES, "fail"),
        (2, OPENS[2], CLOSES + DAY, "fail"),
        (3, OPENS[3], OPENS[3], "pass"),
        (3, OPENS[3] - DAY, OPENS[3] + DAY, "fail"),
        (1, date(2026, 3, 1), date(2026, 2, 28), "fail"),
    ],
)
def test_the_service_must_start_and_end_inside_the_batch_window(
    batch: int, start: date, end: date, expected: str
) -> None:
    c = one(
        provider_uscc=BATCH_PROVIDER[batch],
        signed_on=OPENS[batch].isoformat(),
        service_start=start.isoformat(),
        service_end=end.isoformat(),
    )
    found = service_period(c, PROVIDERS, PARAMS)
    assert (found.clause, found.result) == ("三(二)注", expected)


def test_an_unregistered_provider_excludes_the_contract_and_its_window_cannot_be_judged() -> None:
    verdict = run(application(contracts=[contract(provider_uscc=UNREGISTERED)]))
    assert finding(verdict, "CON-PROVIDER-REGISTERED", "HT-001").result == "fail"
    window = finding(verdict, "CON-SIGNING-WINDOW", "HT-001")
    period = finding(verdict, "CON-SERVICE-PERIOD", "HT-001")
    assert (window.result, window.limit) == ("fail", "batch unknown")
    assert (period.result, period.limit) == ("fail", "batch unknown")
    assert "批次未知" in window.message
    assert finding(verdict, "AMT-MIN-SPEND").observed == "0.00"
    assert verdict.outcome == "fail"


# 三(二)注: 与第二批/第三批已入库服务机构（包含新增服务事项）签订的服务合同: a provider may be
# admitted again in a later batch for a new service item, and a contract keeps the window of the
# batch that admitted its own service item.
ADMITTED_AGAIN = make_uscc("440308", 12)


def admitted_again(first: int, added: int, *later: int) -> dict[str, ProviderBatches]:
    """ADMITTED_AGAIN: training (and everything else) in `first`, inference added in `added`."""
    admissions = [{"batch": b, "service_types": ["inference"]} for b in (added, *later)]
    return registered({"uscc": ADMITTED_AGAIN, "batch": first, "admissions": admissions})


def item_window_cases() -> list[tuple[int, int, str, int, date, str]]:
    cases = []
    for first in (1, 2):
        for added in range(first + 1, 4):
            for service_type, batch in (("training", first), ("inference", added)):
                cases += [
                    (first, added, service_type, batch, OPENS[batch] - DAY, "fail"),
                    (first, added, service_type, batch, OPENS[batch], "pass"),
                    (first, added, service_type, batch, CLOSES, "pass"),
                ]
    return cases


def item_contract(service_type: str, signed_on: date, start: date | None = None) -> Contract:
    return one(
        provider_uscc=ADMITTED_AGAIN,
        service_type=service_type,
        training_kind="sft" if service_type == "training" else None,
        signed_on=signed_on.isoformat(),
        service_start=(start or signed_on).isoformat(),
        service_end=CLOSES.isoformat(),
    )


@pytest.mark.parametrize(
    ("first", "added", "service_type", "batch", "signed_on", "expected"), item_window_cases()
)
def test_a_contract_keeps_the_window_of_the_batch_that_admitted_its_service_item(
    first: int, added: int, service_type: str, batch: int, signed_on: date, expected: str
) -> None:
    providers = admitted_again(first, added)
    c = item_contract(service_type, signed_on)
    window, period = signing_window(c, providers, PARAMS), service_period(c, providers, PARAMS)
    assert (window.result, period.result) == (expected, expected)
    assert window.limit == f"{OPENS[batch].isoformat()} .. {CLOSES.isoformat()}"
    assert f"第{batch}批" in window.message
    assert provider_registered(c, providers).observed == f"batch {batch}"


def test_an_inference_contract_signed_before_its_items_batch_opened_is_excluded() -> None:
    # Admitted in batch 1 for training, in batch 2 (opened 2025-04-07) for inference: on
    # 2025-03-01 the provider could sign training contracts, not inference ones.
    training = contract(
        contract_no="HT-T",
        provider_uscc=ADMITTED_AGAIN,
        signed_on="2025-03-01",
        service_start="2025-03-01",
        amount_cny="600000.00",
    )
    inference = contract(
        contract_no="HT-I",
        provider_uscc=ADMITTED_AGAIN,
        signed_on="2025-03-01",
        service_start="2025-04-07",
        service_type="inference",
        training_kind=None,
        amount_cny="900000.00",
    )
    verdict = run(
        application(contracts=[training, inference]),
        references=refs(providers={**PROVIDERS, **admitted_again(1, 2)}),
    )
    assert finding(verdict, "CON-SIGNING-WINDOW", "HT-T").result == "pass"
    assert finding(verdict, "CON-SIGNING-WINDOW", "HT-I").result == "fail"
    assert "推理服务事项入库批次" in finding(verdict, "CON-SIGNING-WINDOW", "HT-I").message
    assert voucher_by_contract(verdict) == {"HT-T": Decimal("300000.00")}
    assert finding(verdict, "AMT-MIN-SPEND").observed == "600000.00"


@pytest.mark.parametrize("later", [(3,), ()])
def test_an_item_admitted_in_several_batches_keeps_the_earliest_batchs_window(later: tuple[int, ...]) -> None:
    # Inference named in batch 2 and again in batch 3: its window is batch 2's, the widest,
    # whichever order the admissions are listed in.
    providers = {**admitted_again(1, 3, 2, *later)}
    c = item_contract("inference", OPENS[2], OPENS[2])
    assert signing_window(c, providers, PARAMS).result == "pass"
    assert provider_registered(c, providers).observed == "batch 2"


@pytest.mark.parametrize(("uscc", "expected"), [(PROVIDER_1, "pass"), (UNREGISTERED, "fail")])
def test_the_provider_must_be_in_the_provider_registry(uscc: str, expected: str) -> None:
    assert provider_registered(one(provider_uscc=uscc), PROVIDERS).result == expected


# 三(二)注 / 五(三): 训练（包括预训练、有监督微调、强化学习等）或推理（阶段性训练成果的验证性推理）
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"service_type": "training", "training_kind": "pretraining"}, "pass"),
        ({"service_type": "training", "training_kind": "sft"}, "pass"),
        ({"service_type": "training", "training_kind": "rl"}, "pass"),
        (
            {
                "service_type": "training",
                "training_kind": "other",
                "description": "蒸馏训练：以大模型输出训练小模型",
            },
            "pass",
        ),
        ({"service_type": "training", "training_kind": None}, "fail"),
        (
            {"service_type": "inference", "training_kind": None, "description": "阶段性训练成果的验证性推理"},
            "pass",
        ),
        ({"description": ""}, "fail"),
        ({"description": "   "}, "fail"),
        ({"amount_cny": "0.00"}, "fail"),
        ({"amount_cny": "0.01"}, "pass"),
    ],
)
def test_the_contract_must_state_training_or_inference_work_and_a_positive_amount(
    changes: dict[str, object], expected: str
) -> None:
    found = content(one(**changes))
    assert (found.rule, found.clause, found.result) == ("CON-CONTENT", "三(二)注; 五(三)", expected)


# 四(一)4: 其他各级财政资金资助……累计金额超过服务合同金额50%的，不予资助
@pytest.mark.parametrize(
    ("amount", "other", "expected"),
    [
        ("1000000.00", "0.00", "pass"),
        ("1000000.00", "500000.00", "pass"),
        ("1000000.00", "500000.01", "fail"),
        ("1000000.01", "500000.00", "pass"),
        ("1000000.01", "500000.01", "fail"),
        ("1000000.00", "1000000.00", "fail"),
    ],
)
def test_other_public_funding_above_half_the_contract_excludes_it(
    amount: str, other: str, expected: str
) -> None:
    found = other_funding(one(amount_cny=amount, other_public_funding_cny=other), PARAMS)
    assert (found.clause, found.result) == ("四(一)4", expected)


def test_other_funding_of_exactly_half_keeps_the_contract_and_its_full_voucher() -> None:
    verdict = run(application(contracts=[contract(other_public_funding_cny="600000.00")]))
    assert verdict.outcome == "pass"
    assert voucher_by_contract(verdict) == {"HT-001": Decimal("600000.00")}


def test_other_funding_one_fen_over_half_excludes_the_contract() -> None:
    verdict = run(application(contracts=[contract(other_public_funding_cny="600000.01")]))
    assert finding(verdict, "CON-OTHER-FUNDING", "HT-001").limit == "600000.00"
    assert verdict.failed_rules() == ["CON-OTHER-FUNDING", "AMT-MIN-SPEND"]


# 三(一)2: 单次抵扣; 多个服务合同……汇总申报
def test_a_contract_declared_in_another_live_application_is_excluded() -> None:
    first = contract(contract_no="HT-1", amount_cny="1000000.00")
    second = contract(contract_no="HT-2", amount_cny="600000.00")
    declared = frozenset({(PROVIDER_1, "HT-1")})
    verdict = run(application(contracts=[first, second]), references=refs(declared_contracts=declared))
    assert finding(verdict, "CON-NOT-DUPLICATE", "HT-1").result == "fail"
    assert finding(verdict, "CON-NOT-DUPLICATE", "HT-2").result == "pass"
    assert voucher_by_contract(verdict) == {"HT-2": Decimal("300000.00")}


def test_the_same_contract_number_from_another_provider_is_a_different_contract() -> None:
    c = contract(contract_no="HT-1")
    verdict = run(
        application(contracts=[c]), references=refs(declared_contracts=frozenset({(PROVIDER_2, "HT-1")}))
    )
    assert finding(verdict, "CON-NOT-DUPLICATE", "HT-1").result == "pass"


def test_a_contract_listed_twice_in_one_application_is_excluded_both_times() -> None:
    twice = [contract(contract_no="HT-1"), contract(contract_no="HT-1")]
    verdict = run(application(contracts=[*twice, contract(contract_no="HT-2")]))
    dupes = [f for f in verdict.findings if f.rule == "CON-NOT-DUPLICATE" and f.result == "fail"]
    assert [f.contract_no for f in dupes] == ["HT-1", "HT-1"]
    assert voucher_by_contract(verdict) == {"HT-2": Decimal("600000.00")}


def test_every_contract_gets_every_contract_rule_in_a_fixed_order() -> None:
    verdict = run(application(contracts=[contract(contract_no="B"), contract(contract_no="A")]))
    rules = [(f.contract_no, f.rule) for f in verdict.findings if f.rule.startswith("CON-")]
    order = [
        "CON-PROVIDER-REGISTERED",
        "CON-SIGNING-WINDOW",
        "CON-SERVICE-PERIOD",
        "CON-CONTENT",
        "CON-OTHER-FUNDING",
        "CON-NOT-DUPLICATE",
    ]
    assert rules == [("B", r) for r in order] + [("A", r) for r in order]
