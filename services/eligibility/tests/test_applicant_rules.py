"""Applicant rules (ELIG-*), case tables from the guide's 一, 四(一), 四(二), 五(十) and 七(二)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from eligibility.domain.applicant_rules import (
    ethics,
    filing_window,
    legal_person,
    location,
    not_a_provider,
    not_restricted,
    org_type,
    self_filed,
)
from eligibility_testkit import (
    APPLICANT,
    CST,
    PARAMS,
    PROVIDERS,
    SHA,
    application,
    finding,
    make_uscc,
    refs,
    registered,
    run,
)

SHENZHEN_DISTRICTS = [
    "福田区",
    "罗湖区",
    "南山区",
    "盐田区",
    "宝安区",
    "龙岗区",
    "龙华区",
    "坪山区",
    "光明区",
    "大鹏新区",
    "深汕特别合作区",
]


# 一 / 四(一)1: 企业、高等院校、科研机构
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("enterprise", "pass"),
        ("university", "pass"),
        ("research_institute", "pass"),
        ("social_organization", "fail"),
        ("individual", "fail"),
        ("other", "fail"),
    ],
)
def test_only_enterprises_universities_and_research_institutes_may_apply(kind: str, expected: str) -> None:
    found = org_type(application(applicant={"org_type": kind}))
    assert (found.rule, found.clause, found.result) == ("ELIG-ORG-TYPE", "一; 四(一)1", expected)


@pytest.mark.parametrize(("independent", "expected"), [(True, "pass"), (False, "fail")])
def test_the_applicant_must_be_an_independent_legal_person(independent: bool, expected: str) -> None:
    found = legal_person(application(applicant={"independent_legal_person": independent}))
    assert found.result == expected


# 四(一)1: 在深圳市（含深汕特别合作区）依法经营
@pytest.mark.parametrize("district", SHENZHEN_DISTRICTS)
def test_every_shenzhen_district_and_shenshan_passes_the_location_rule(district: str) -> None:
    found = location(application(applicant={"registered_district": district}), PARAMS)
    assert (found.rule, found.clause, found.result) == ("ELIG-LOCATION", "四(一)1", "pass")


@pytest.mark.parametrize("district", ["东莞市", "广州市天河区", "香港", "深圳"])
def test_a_district_outside_shenzhen_fails_the_location_rule(district: str) -> None:
    found = location(application(applicant={"registered_district": district}), PARAMS)
    assert found.result == "fail"


@pytest.mark.parametrize("region", ["441900", "440106", "441521", "110000"])
def test_a_uscc_outside_4403_with_a_shenzhen_district_is_held_for_review(region: str) -> None:
    app = application(applicant={"uscc": make_uscc(region, 5), "registered_district": "南山区"})
    found = location(app, PARAMS)
    assert found.result == "review"
    assert region in (found.observed or "")


def test_a_uscc_outside_4403_with_a_district_outside_shenzhen_fails() -> None:
    app = application(applicant={"uscc": make_uscc("441900", 5), "registered_district": "东莞市"})
    assert location(app, PARAMS).result == "fail"


def test_a_location_review_holds_the_whole_application() -> None:
    verdict = run(application(applicant={"uscc": make_uscc("441900", 5)}))
    assert verdict.outcome == "review"
    assert verdict.reserve_cny == 0
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("600000.00")  # 50% of 1,200,000.00


# 四(一)2: 限制申请财政性资金、超期未申请验收、超期未退款
@pytest.mark.parametrize(
    ("lists", "expected"),
    [
        (set(), "pass"),
        ({"fiscal_funding_ban"}, "fail"),
        ({"overdue_acceptance"}, "fail"),
        ({"overdue_refund"}, "fail"),
        ({"overdue_acceptance", "overdue_refund"}, "fail"),
    ],
)
def test_an_applicant_on_any_restriction_list_fails(lists: set[str], expected: str) -> None:
    found = not_restricted(application(), {APPLICANT: lists} if lists else {})
    assert (found.clause, found.result) == ("四(一)2", expected)
    for name in lists:
        assert name in (found.observed or "")


def test_another_company_on_a_restriction_list_does_not_affect_the_applicant() -> None:
    found = not_restricted(application(), {make_uscc("440303", 77): {"fiscal_funding_ban"}})
    assert found.result == "pass"


# 四(一)3, 五 特别提醒, 声明一: 自主申报; 原则上应为项目负责人
@pytest.mark.parametrize(
    ("self_filed_", "by_lead", "expected"),
    [(True, True, "pass"), (True, False, "review"), (False, True, "fail"), (False, False, "fail")],
)
def test_an_application_through_an_intermediary_fails_and_another_account_is_reviewed(
    self_filed_: bool, by_lead: bool, expected: str
) -> None:
    app = application(declarations={"self_filed": self_filed_, "filed_by_project_lead": by_lead})
    found = self_filed(app)
    assert (found.clause, found.result) == ("四(一)3; 五 特别提醒; 声明一", expected)


# 四(二): 不能同时获得训力券服务机构入库资格和训力券
def test_a_registered_provider_cannot_also_receive_vouchers() -> None:
    found = not_a_provider(application(), {**PROVIDERS, **registered({"uscc": APPLICANT, "batch": 2})})
    assert (found.clause, found.result, found.observed) == ("四(二)", "fail", "batch 2")


def test_a_provider_admitted_again_for_new_service_items_is_still_one_registered_provider() -> None:
    row = {"uscc": APPLICANT, "batch": 1, "admissions": [{"batch": 3, "service_types": ["inference"]}]}
    found = not_a_provider(application(), {**PROVIDERS, **registered(row)})
    assert (found.result, found.observed) == ("fail", "batch 1")


def test_an_applicant_not_in_the_provider_registry_passes() -> None:
    assert not_a_provider(application(), PROVIDERS).result == "pass"


def test_a_registered_provider_applying_fails_the_whole_application() -> None:
    providers = {**PROVIDERS, **registered({"uscc": APPLICANT, "batch": 1})}
    verdict = run(application(), references=refs(providers=providers))
    assert verdict.outcome == "fail"
    assert "ELIG-NOT-A-PROVIDER" in verdict.failed_rules()
    assert verdict.voucher is None


# 四(一)5, 五(十): 涉及科技伦理和科技安全的，提供批准或备案文件
@pytest.mark.parametrize(
    ("involved", "with_approval", "expected"),
    [(False, False, "pass"), (True, True, "pass"), (True, False, "fail"), (False, True, "pass")],
)
def test_a_project_involving_ethics_needs_an_ethics_approval(
    involved: bool, with_approval: bool, expected: str
) -> None:
    materials = [{"kind": "application_form", "sha256": SHA}]
    if with_approval:
        materials.append({"kind": "ethics_approval", "sha256": SHA})
    app = application(project={"ethics_or_safety_involved": involved}, materials=materials)
    assert ethics(app).result == expected


# 七(二): 受理时间 2026年5月6日-2026年6月5日(截至18:00)
@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (datetime(2026, 5, 5, 23, 59, 59, tzinfo=CST), "fail"),
        (datetime(2026, 5, 6, 0, 0, 0, tzinfo=CST), "pass"),
        (datetime(2026, 5, 20, 10, 0, tzinfo=CST), "pass"),
        (datetime(2026, 6, 5, 18, 0, 0, tzinfo=CST), "pass"),
        (datetime(2026, 6, 5, 18, 0, 1, tzinfo=CST), "fail"),
        (datetime(2026, 6, 5, 10, 0, 0, tzinfo=UTC), "pass"),
        (datetime(2026, 6, 5, 10, 0, 1, tzinfo=UTC), "fail"),
        (datetime(2026, 5, 5, 16, 0, 0, tzinfo=UTC), "pass"),
        (datetime(2026, 5, 5, 15, 59, 59, tzinfo=UTC), "fail"),
    ],
)
def test_the_filing_window_runs_from_6_may_to_18_00_on_5_june(submitted_at: datetime, expected: str) -> None:
    found = filing_window(application(), submitted_at, PARAMS)
    assert (found.clause, found.result) == ("七(二)", expected)


def test_a_submission_after_the_window_fails_the_application() -> None:
    late = datetime(2026, 6, 5, 18, 0, 0, tzinfo=CST) + timedelta(minutes=1)
    verdict = run(application(), submitted_at=late)
    assert verdict.outcome == "fail"
    assert verdict.failed_rules() == ["ELIG-FILING-WINDOW"]


def test_a_submission_time_without_a_utc_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        filing_window(application(), datetime(2026, 5, 20, 10, 0), PARAMS)


def test_every_applicant_rule_is_reported_in_the_guides_order() -> None:
    verdict = run(application())
    applicant_rules = [f.rule for f in verdict.findings if f.rule.startswith("ELIG-")]
    assert applicant_rules == [
        "ELIG-ORG-TYPE",
        "ELIG-LEGAL-PERSON",
        "ELIG-LOCATION",
        "ELIG-NOT-RESTRICTED",
        "ELIG-SELF-FILED",
        "ELIG-NOT-A-PROVIDER",
        "ELIG-ETHICS",
        "ELIG-FILING-WINDOW",
    ]
    assert all(f.message and f.message_en for f in verdict.findings)


def test_an_individual_fails_the_application_on_org_type() -> None:
    verdict = run(application(applicant={"org_type": "individual"}))
    assert finding(verdict, "ELIG-ORG-TYPE").observed == "individual"
    assert verdict.outcome == "fail"
