"""Applicant rules (ELIG-*): who may apply, from where, and how the application was filed."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding
from vouchers_shared.program import ProgramParams
from vouchers_shared.refdata import ProviderBatches
from vouchers_shared.types import USCC_REGION_SHENZHEN, uscc_region

from eligibility.domain.outcome import Outcome, day, rule

ELIGIBLE_ORG_TYPES = ("enterprise", "university", "research_institute")
RESTRICTION_NAMES = {
    "fiscal_funding_ban": ("被限制申请财政性资金项目", "barred from applying for fiscal funding"),
    "overdue_acceptance": ("超期未申请验收名单", "list of overdue acceptance applications"),
    "overdue_refund": ("超期未退款名单", "list of overdue refunds"),
}


@rule("ELIG-ORG-TYPE", clause="一; 四(一)1", kind="applicant")
def org_type(app: Application) -> Outcome:
    """The applicant is an enterprise, a university or a research institute."""
    kind = app.applicant.org_type
    limit = ", ".join(ELIGIBLE_ORG_TYPES)
    if kind in ELIGIBLE_ORG_TYPES:
        return Outcome.ok(
            "申请单位属于企业、高等院校或科研机构。",
            "The applicant is an enterprise, a university or a research institute.",
            observed=kind,
            limit=limit,
        )
    return Outcome.fail(
        "申请单位应当是企业、高等院校或科研机构。",
        f"Only enterprises, universities and research institutes may apply, not {kind}.",
        observed=kind,
        limit=limit,
    )


@rule("ELIG-LEGAL-PERSON", clause="四(一)1", kind="applicant")
def legal_person(app: Application) -> Outcome:
    """The applicant is an independent legal person."""
    if app.applicant.independent_legal_person:
        return Outcome.ok(
            "申请单位具有独立法人资格。",
            "The applicant is an independent legal person.",
            observed="true",
            limit="true",
        )
    return Outcome.fail(
        "申请单位应当具有独立法人资格。",
        "The applicant must be an independent legal person.",
        observed="false",
        limit="true",
    )


@rule("ELIG-LOCATION", clause="四(一)1", kind="applicant")
def location(app: Application, params: ProgramParams) -> Outcome:
    """The applicant is registered in Shenzhen, the 深汕特别合作区 included."""
    district = app.applicant.registered_district
    region = uscc_region(app.applicant.uscc)
    limit = ", ".join(params.shenzhen_districts)
    details: dict[str, str | None] = {
        "observed": f"{district}; region {region}",
        "limit": limit,
        "clause": params.clause("shenzhen_districts"),
    }
    if district not in params.shenzhen_districts:
        return Outcome.fail(
            f"申请单位注册地“{district}”不在深圳市（含深汕特别合作区）。",
            f"The applicant is registered in {district}, outside Shenzhen.",
            **details,
        )
    # A district that says Shenzhen with a code from elsewhere is held, not refused: units of
    # the 深汕特别合作区 and units that moved in keep codes issued outside 4403.
    if not region.startswith(USCC_REGION_SHENZHEN):
        return Outcome.review(
            f"注册地为{district}，但统一社会信用代码的登记管理机关行政区划码为{region}，"
            f"不以{USCC_REGION_SHENZHEN}开头，需人工核实注册地。",
            f"The district is {district} but the credit code's region is {region}, not "
            f"{USCC_REGION_SHENZHEN}xx; an operator must confirm the registration.",
            **details,
        )
    return Outcome.ok(
        f"申请单位注册于深圳市{district}。",
        f"The applicant is registered in Shenzhen ({district}).",
        **details,
    )


@rule("ELIG-NOT-RESTRICTED", clause="四(一)2", kind="applicant")
def not_restricted(app: Application, restrictions: Mapping[str, Set[str]]) -> Outcome:
    """The applicant is on none of the three restriction lists."""
    lists = sorted(restrictions.get(app.applicant.uscc, set()))
    if not lists:
        return Outcome.ok(
            "申请单位未被限制申请财政性资金项目，未被列入超期未申请验收名单和超期未退款名单。",
            "The applicant is on none of the restriction lists.",
            observed="none",
            limit="none",
        )
    zh = "、".join(RESTRICTION_NAMES.get(n, (n, n))[0] for n in lists)
    en = "; ".join(RESTRICTION_NAMES.get(n, (n, n))[1] for n in lists)
    return Outcome.fail(
        f"申请单位在限制名单上：{zh}。",
        f"The applicant is on: {en}.",
        observed=", ".join(lists),
        limit="none",
    )


@rule("ELIG-SELF-FILED", clause="四(一)3; 五 特别提醒; 声明一", kind="applicant")
def self_filed(app: Application) -> Outcome:
    """The applicant filed itself, without an intermediary, in principle from the lead's account."""
    d = app.declarations
    details: dict[str, str | None] = {
        "observed": f"self_filed={str(d.self_filed).lower()}; "
        f"filed_by_project_lead={str(d.filed_by_project_lead).lower()}",
        "limit": "self_filed=true",
    }
    if not d.self_filed:
        return Outcome.fail(
            "申请单位未声明自主申报；不得委托中介机构申报。",
            "The applicant did not declare that it filed itself; filing through an intermediary "
            "is not allowed.",
            **details,
        )
    # 原则上 (in principle) the project lead files: another account is held, not refused.
    if not d.filed_by_project_lead:
        return Outcome.review(
            "申请单位自主申报，但并非由项目负责人账号填报（原则上应为项目负责人），需人工核实。",
            "Filed by the applicant itself but not from the project lead's account, which the "
            "guide expects in principle; an operator must check who filed.",
            **details,
        )
    return Outcome.ok(
        "申请单位自主申报，由项目负责人填报。",
        "Filed by the applicant itself, from the project lead's account.",
        **details,
    )


@rule("ELIG-NOT-A-PROVIDER", clause="四(二)", kind="applicant")
def not_a_provider(app: Application, providers: Mapping[str, ProviderBatches]) -> Outcome:
    """The applicant is not itself a registered voucher service provider."""
    admitted = providers.get(app.applicant.uscc)
    if admitted is None:
        return Outcome.ok(
            "申请单位不是训力券入库服务机构。",
            "The applicant is not a registered provider.",
            observed="not registered",
            limit="not registered",
        )
    batch = admitted.first_batch
    return Outcome.fail(
        f"申请单位是第{batch}批训力券入库服务机构，不能同时获得入库资格和训力券。",
        f"The applicant is a registered provider (batch {batch}) and cannot also hold vouchers.",
        observed=f"batch {batch}",
        limit="not registered",
    )


@rule("ELIG-ETHICS", clause="四(一)5; 五(十)", kind="applicant")
def ethics(app: Application) -> Outcome:
    """A project involving ethics or safety includes its ethics approval among the materials."""
    if not app.project.ethics_or_safety_involved:
        return Outcome.ok(
            "项目不涉及科技伦理和科技安全。",
            "The project involves no ethics or safety matter.",
            observed="not involved",
            limit="approval if involved",
        )
    # Only the presence of the document is judged here; MAT-ETHICS in verification reads it.
    if app.materials_of("ethics_approval"):
        return Outcome.ok(
            "项目涉及科技伦理或科技安全，已提供批准或备案文件。",
            "The project involves ethics or safety and its approval is among the materials.",
            observed="approval given",
            limit="approval if involved",
        )
    return Outcome.fail(
        "项目涉及科技伦理或科技安全，但未提供伦理审查批准或备案文件。",
        "The project involves ethics or safety but no ethics approval was given.",
        observed="no approval",
        limit="approval if involved",
    )


@rule("ELIG-FILING-WINDOW", clause="七(二)", kind="applicant")
def filing_window(app: Application, submitted_at: datetime, params: ProgramParams) -> Outcome:
    """The application was submitted inside the filing window."""
    opens, closes = params.filing_opens_at, params.filing_closes_at
    details: dict[str, str | None] = {
        "observed": day(submitted_at),
        "limit": f"{day(opens)} .. {day(closes)}",
        "clause": params.clause("filing_opens_at"),
    }
    if params.filing_window_contains(submitted_at):
        return Outcome.ok("在受理时间内提交。", "Submitted inside the filing window.", **details)
    return Outcome.fail(
        f"提交时间不在受理时间（{day(opens)}至{day(closes)}）内。",
        f"Submitted outside the filing window ({day(opens)} to {day(closes)}).",
        **details,
    )


def applicant_findings(
    app: Application,
    *,
    submitted_at: datetime,
    providers: Mapping[str, ProviderBatches],
    restrictions: Mapping[str, Set[str]],
    params: ProgramParams,
) -> list[Finding]:
    """Every applicant rule, in the order the guide states them."""
    # declarations.truthful (申请单位对申请材料的……真实性……负责) has no rule id of its own in
    # the rule book; it is a commitment checked by intake and verification, not judged here.
    return [
        org_type(app),
        legal_person(app),
        location(app, params),
        not_restricted(app, restrictions),
        self_filed(app),
        not_a_provider(app, providers),
        ethics(app),
        filing_window(app, submitted_at, params),
    ]
