"""Applicant rules (ELIG-*): who may apply, from where, and how the application was filed."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding
from vouchers_shared.program import ProgramParams
from vouchers_shared.refdata import ProviderBatches
from vouchers_shared.types import USCC_REGION_SHENZHEN, uscc_region
from vouchers_shared.wording import say

from eligibility.domain.outcome import Outcome, day, rule

ELIGIBLE_ORG_TYPES = ("enterprise", "university", "research_institute")


@rule("ELIG-ORG-TYPE", clause="一; 四(一)1", kind="applicant")
def org_type(app: Application) -> Outcome:
    """The applicant is an enterprise, a university or a research institute."""
    kind = app.applicant.org_type
    limit = ", ".join(ELIGIBLE_ORG_TYPES)
    if kind in ELIGIBLE_ORG_TYPES:
        return Outcome.ok(say("ELIG-ORG-TYPE.pass"), observed=kind, limit=limit)
    return Outcome.fail(say("ELIG-ORG-TYPE.fail", kind=kind), observed=kind, limit=limit)


@rule("ELIG-LEGAL-PERSON", clause="四(一)1", kind="applicant")
def legal_person(app: Application) -> Outcome:
    """The applicant is an independent legal person."""
    if app.applicant.independent_legal_person:
        return Outcome.ok(say("ELIG-LEGAL-PERSON.pass"), observed="true", limit="true")
    return Outcome.fail(say("ELIG-LEGAL-PERSON.fail"), observed="false", limit="true")


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
        return Outcome.fail(say("ELIG-LOCATION.outside_shenzhen", district=district), **details)
    # A district that says Shenzhen with a code from elsewhere is held, not refused: units of
    # the 深汕特别合作区 and units that moved in keep codes issued outside 4403.
    if not region.startswith(USCC_REGION_SHENZHEN):
        return Outcome.review(
            say("ELIG-LOCATION.region_elsewhere", district=district, region=region), **details
        )
    return Outcome.ok(say("ELIG-LOCATION.pass", district=district), **details)


@rule("ELIG-NOT-RESTRICTED", clause="四(一)2", kind="applicant")
def not_restricted(app: Application, restrictions: Mapping[str, Set[str]]) -> Outcome:
    """The applicant is on none of the three restriction lists."""
    lists = sorted(restrictions.get(app.applicant.uscc, set()))
    if not lists:
        return Outcome.ok(say("ELIG-NOT-RESTRICTED.pass"), observed="none", limit="none")
    return Outcome.fail(
        say("ELIG-NOT-RESTRICTED.fail", lists=",".join(lists)),
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
        return Outcome.fail(say("ELIG-SELF-FILED.fail"), **details)
    # 原则上 (in principle) the project lead files: another account is held, not refused.
    if not d.filed_by_project_lead:
        return Outcome.review(say("ELIG-SELF-FILED.not_by_lead"), **details)
    return Outcome.ok(say("ELIG-SELF-FILED.pass"), **details)


@rule("ELIG-NOT-A-PROVIDER", clause="四(二)", kind="applicant")
def not_a_provider(app: Application, providers: Mapping[str, ProviderBatches]) -> Outcome:
    """The applicant is not itself a registered voucher service provider."""
    admitted = providers.get(app.applicant.uscc)
    if admitted is None:
        return Outcome.ok(say("ELIG-NOT-A-PROVIDER.pass"), observed="not registered", limit="not registered")
    batch = admitted.first_batch
    return Outcome.fail(
        say("ELIG-NOT-A-PROVIDER.fail", batch=str(batch)),
        observed=f"batch {batch}",
        limit="not registered",
    )


@rule("ELIG-ETHICS", clause="四(一)5; 五(十)", kind="applicant")
def ethics(app: Application) -> Outcome:
    """A project involving ethics or safety includes its ethics approval among the materials."""
    if not app.project.ethics_or_safety_involved:
        return Outcome.ok(
            say("ELIG-ETHICS.not_involved"),
            observed="not involved",
            limit="approval if involved",
        )
    # Only the presence of the document is judged here; MAT-ETHICS in verification reads it.
    if app.materials_of("ethics_approval"):
        return Outcome.ok(
            say("ELIG-ETHICS.pass"),
            observed="approval given",
            limit="approval if involved",
        )
    return Outcome.fail(
        say("ELIG-ETHICS.fail"),
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
        return Outcome.ok(say("ELIG-FILING-WINDOW.pass"), **details)
    return Outcome.fail(say("ELIG-FILING-WINDOW.fail", opens=day(opens), closes=day(closes)), **details)


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
