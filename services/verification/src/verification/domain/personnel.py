"""MAT-PERSONNEL 五(五): the project lead and two key members, certified, full time in Shenzhen."""

from __future__ import annotations

from typing import Final

from vouchers_shared.application import Application, StaffMember
from vouchers_shared.findings import Finding

from verification.domain.rulebook import finding

# 五(五) names "项目负责人及两名项目主要成员": a fixed part of the materials list, not a tunable.
KEY_MEMBERS_REQUIRED: Final = 2
LIMIT: Final = f"lead + {KEY_MEMBERS_REQUIRED} members: certificates, full time in Shenzhen"


def _covered(app: Application) -> set[str]:
    covered: set[str] = set()
    for material in app.materials_of("personnel_certificates"):
        covered.update(material.person_ids or [])
    return covered


def _gaps(person: StaffMember, covered: set[str]) -> list[tuple[str, str]]:
    gaps: list[tuple[str, str]] = []
    if person.person_id not in covered:
        gaps.append(("缺少学位或职称证书", "no degree or title certificate"))
    if not person.full_time_in_shenzhen:
        gaps.append(("非全职在深工作", "not full time in Shenzhen"))
    return gaps


def _describe(person: StaffMember, gaps: list[tuple[str, str]]) -> tuple[str, str]:
    return (
        f"{person.person_id}：" + "、".join(g[0] for g in gaps),
        f"{person.person_id}: " + " and ".join(g[1] for g in gaps),
    )


def _members(app: Application) -> list[StaffMember]:
    """Declared key members, each once, the lead left out (the lead is not one of the two)."""
    seen = {app.project.lead.person_id}
    members: list[StaffMember] = []
    for member in app.project.members:
        if member.person_id not in seen:
            seen.add(member.person_id)
            members.append(member)
    return members


def _problems(app: Application, covered: set[str]) -> tuple[list[str], list[str], str]:
    """What falls short, in Chinese and English, and a short observed summary."""
    lead_gaps = _gaps(app.project.lead, covered)
    member_gaps = [(m, _gaps(m, covered)) for m in _members(app)]
    good = sum(1 for _, gaps in member_gaps if not gaps)
    observed = f"lead={'ok' if not lead_gaps else 'missing'}, members ok={good}/{len(member_gaps)}"
    zh: list[str] = []
    en: list[str] = []
    if lead_gaps:
        lead_zh, lead_en = _describe(app.project.lead, lead_gaps)
        zh.append(f"项目负责人 {lead_zh}")
        en.append(f"project lead {lead_en}")
    if good < KEY_MEMBERS_REQUIRED:
        zh.append(f"符合要求的项目主要成员 {good} 名，少于 {KEY_MEMBERS_REQUIRED} 名")
        en.append(f"{good} key member(s) qualify, fewer than {KEY_MEMBERS_REQUIRED}")
        for member, gaps in member_gaps:
            if gaps:
                member_zh, member_en = _describe(member, gaps)
                zh.append(f"成员 {member_zh}")
                en.append(f"member {member_en}")
    return zh, en, observed


def personnel(app: Application) -> Finding:
    """MAT-PERSONNEL 五(五): the lead and two key members each meet both conditions."""
    problems_zh, problems_en, observed = _problems(app, _covered(app))
    if problems_zh:
        return finding(
            "MAT-PERSONNEL",
            "fail",
            "人员材料不符合要求：" + "；".join(problems_zh) + "。",
            "Personnel materials fall short: " + "; ".join(problems_en) + ".",
            observed=observed,
            limit=LIMIT,
        )
    return finding(
        "MAT-PERSONNEL",
        "pass",
        "项目负责人及项目主要成员均提交学位或职称证书，并全职在深工作。",
        "The project lead and the key members are certified and work full time in Shenzhen.",
        observed=observed,
        limit=LIMIT,
    )
