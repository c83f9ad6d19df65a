"""Wordings of the applicant findings (ELIG-*): who may apply, from where, and how it was filed."""

from __future__ import annotations

from vouchers_shared.types import USCC_REGION_SHENZHEN
from vouchers_shared.wording.registry import codes, wording

__all__ = ["RESTRICTION_NAMES"]

RESTRICTION_NAMES = {
    "fiscal_funding_ban": ("被限制申请财政性资金项目", "barred from applying for fiscal funding"),
    "overdue_acceptance": ("超期未申请验收名单", "list of overdue acceptance applications"),
    "overdue_refund": ("超期未退款名单", "list of overdue refunds"),
}
"""The restriction lists by code, in Chinese and in English; an unknown code names itself."""


@wording("ELIG-ORG-TYPE.pass")
def _org_type_pass() -> tuple[str, str]:
    return (
        "申请单位属于企业、高等院校或科研机构。",
        "The applicant is an enterprise, a university or a research institute.",
    )


@wording("ELIG-ORG-TYPE.fail")
def _org_type_fail(*, kind: str) -> tuple[str, str]:
    return (
        "申请单位应当是企业、高等院校或科研机构。",
        f"Only enterprises, universities and research institutes may apply, not {kind}.",
    )


@wording("ELIG-LEGAL-PERSON.pass")
def _legal_person_pass() -> tuple[str, str]:
    return "申请单位具有独立法人资格。", "The applicant is an independent legal person."


@wording("ELIG-LEGAL-PERSON.fail")
def _legal_person_fail() -> tuple[str, str]:
    return "申请单位应当具有独立法人资格。", "The applicant must be an independent legal person."


@wording("ELIG-LOCATION.outside_shenzhen")
def _location_outside(*, district: str) -> tuple[str, str]:
    return (
        f"申请单位注册地“{district}”不在深圳市（含深汕特别合作区）。",
        f"The applicant is registered in {district}, outside Shenzhen.",
    )


@wording("ELIG-LOCATION.region_elsewhere")
def _location_region_elsewhere(*, district: str, region: str) -> tuple[str, str]:
    return (
        f"注册地为{district}，但统一社会信用代码的登记管理机关行政区划码为{region}，"
        f"不以{USCC_REGION_SHENZHEN}开头，需人工核实注册地。",
        f"The district is {district} but the credit code's region is {region}, not "
        f"{USCC_REGION_SHENZHEN}xx; an operator must confirm the registration.",
    )


@wording("ELIG-LOCATION.pass")
def _location_pass(*, district: str) -> tuple[str, str]:
    return f"申请单位注册于深圳市{district}。", f"The applicant is registered in Shenzhen ({district})."


@wording("ELIG-NOT-RESTRICTED.pass")
def _not_restricted_pass() -> tuple[str, str]:
    return (
        "申请单位未被限制申请财政性资金项目，未被列入超期未申请验收名单和超期未退款名单。",
        "The applicant is on none of the restriction lists.",
    )


@wording("ELIG-NOT-RESTRICTED.fail")
def _not_restricted_fail(*, lists: str) -> tuple[str, str]:
    named = [RESTRICTION_NAMES.get(n, (n, n)) for n in codes(lists)]
    return (
        f"申请单位在限制名单上：{'、'.join(name[0] for name in named)}。",
        f"The applicant is on: {'; '.join(name[1] for name in named)}.",
    )


@wording("ELIG-SELF-FILED.fail")
def _self_filed_fail() -> tuple[str, str]:
    return (
        "申请单位未声明自主申报；不得委托中介机构申报。",
        "The applicant did not declare that it filed itself; filing through an intermediary is not allowed.",
    )


@wording("ELIG-SELF-FILED.not_by_lead")
def _self_filed_not_by_lead() -> tuple[str, str]:
    return (
        "申请单位自主申报，但并非由项目负责人账号填报（原则上应为项目负责人），需人工核实。",
        "Filed by the applicant itself but not from the project lead's account, which the "
        "guide expects in principle; an operator must check who filed.",
    )


@wording("ELIG-SELF-FILED.pass")
def _self_filed_pass() -> tuple[str, str]:
    return (
        "申请单位自主申报，由项目负责人填报。",
        "Filed by the applicant itself, from the project lead's account.",
    )


@wording("ELIG-NOT-A-PROVIDER.pass")
def _not_a_provider_pass() -> tuple[str, str]:
    return "申请单位不是训力券入库服务机构。", "The applicant is not a registered provider."


@wording("ELIG-NOT-A-PROVIDER.fail")
def _not_a_provider_fail(*, batch: str) -> tuple[str, str]:
    return (
        f"申请单位是第{batch}批训力券入库服务机构，不能同时获得入库资格和训力券。",
        f"The applicant is a registered provider (batch {batch}) and cannot also hold vouchers.",
    )


@wording("ELIG-ETHICS.not_involved")
def _ethics_not_involved() -> tuple[str, str]:
    return "项目不涉及科技伦理和科技安全。", "The project involves no ethics or safety matter."


@wording("ELIG-ETHICS.pass")
def _ethics_pass() -> tuple[str, str]:
    return (
        "项目涉及科技伦理或科技安全，已提供批准或备案文件。",
        "The project involves ethics or safety and its approval is among the materials.",
    )


@wording("ELIG-ETHICS.fail")
def _ethics_fail() -> tuple[str, str]:
    return (
        "项目涉及科技伦理或科技安全，但未提供伦理审查批准或备案文件。",
        "The project involves ethics or safety but no ethics approval was given.",
    )


@wording("ELIG-FILING-WINDOW.pass")
def _filing_window_pass() -> tuple[str, str]:
    return "在受理时间内提交。", "Submitted inside the filing window."


@wording("ELIG-FILING-WINDOW.fail")
def _filing_window_fail(*, opens: str, closes: str) -> tuple[str, str]:
    return (
        f"提交时间不在受理时间（{opens}至{closes}）内。",
        f"Submitted outside the filing window ({opens} to {closes}).",
    )
