"""MAT-PERSONNEL 五(五): the project lead and two key members, certified, full time in Shenzhen."""

from __future__ import annotations

from typing import Final

from vouchers_shared.application import Application, StaffMember
from vouchers_shared.findings import Finding
from vouchers_shared.wording import Text, say

from verification.domain.rulebook import finding

# 五(五) names "项目负责人及两名项目主要成员": a fixed part of the materials list, not a tunable.
KEY_MEMBERS_REQUIRED: Final = 2
LIMIT: Final = f"lead + {KEY_MEMBERS_REQUIRED} members: certificates, full time in Shenzhen"


def _covered(app: Application) -> set[str]:
    covered: set[str] = set()
    for material in app.materials_of("personnel_certificates"):
        covered.update(material.person_ids or [])
    return covered


def _members(app: Application) -> list[StaffMember]:
    """Declared key members, each once, the lead left out (the lead is not one of the two)."""
    seen = {app.project.lead.person_id}
    members: list[StaffMember] = []
    for member in app.project.members:
        if member.person_id not in seen:
            seen.add(member.person_id)
            members.append(member)
    return members


def _problems(app: Application, covered: set[str]) -> tuple[Text | None, str]:
    """The text of what falls short (None: nothing does), and a short observed summary."""
    lead = app.project.lead
    members = _members(app)
    short = [m for m in members if m.person_id not in covered or not m.full_time_in_shenzhen]
    lead_short = lead.person_id not in covered or not lead.full_time_in_shenzhen
    good = len(members) - len(short)
    observed = f"lead={'ok' if not lead_short else 'missing'}, members ok={good}/{len(members)}"
    named = ([lead] if lead_short else []) + (short if good < KEY_MEMBERS_REQUIRED else [])
    if not lead_short and good >= KEY_MEMBERS_REQUIRED:
        return None, observed
    text = say(
        "MAT-PERSONNEL.fail",
        lead=lead.person_id if lead_short else "",
        members=",".join(m.person_id for m in short) if good < KEY_MEMBERS_REQUIRED else "",
        uncertified=",".join(p.person_id for p in named if p.person_id not in covered),
        part_time=",".join(p.person_id for p in named if not p.full_time_in_shenzhen),
        qualified=str(good),
        required=str(KEY_MEMBERS_REQUIRED),
    )
    return text, observed


def personnel(app: Application) -> Finding:
    """MAT-PERSONNEL 五(五): the lead and two key members each meet both conditions."""
    problems, observed = _problems(app, _covered(app))
    if problems is not None:
        return finding("MAT-PERSONNEL", "fail", problems, observed=observed, limit=LIMIT)
    return finding("MAT-PERSONNEL", "pass", say("MAT-PERSONNEL.pass"), observed=observed, limit=LIMIT)
