"""What `GET /v1/applications/{id}` answers, built from the read model."""

from __future__ import annotations

from datetime import date
from typing import Any

from vouchers_shared import workdays
from vouchers_shared.auth import Principal
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.disclosure import PeopleMask
from vouchers_shared.findings import shown

from intake.domain.status import OFFICIAL_WORDING, StatusView

CHECKS = ("eligibility", "conflict_of_interest", "verification")


def working_days_elapsed(view: StatusView, today: date) -> int | None:
    """Working days since acceptance, the public-notice period left out (十: 不含特别时限)."""
    if view.submitted_at is None:
        return None
    end = date.fromisoformat(view.approved_on) if view.approved_on else today
    notice = None
    if view.notice is not None:
        notice = (date.fromisoformat(view.notice["starts_on"]), date.fromisoformat(view.notice["ends_on"]))
    try:
        return workdays.working_days_outside(view.submitted_at.astimezone(SHANGHAI).date(), end, notice)
    except workdays.CalendarYearUnknown:
        return None


def _findings(findings: list[dict[str, Any]], mask: PeopleMask | None) -> list[dict[str, Any]]:
    return mask.findings(findings) if mask else [shown(f) for f in findings]


def render(view: StatusView, today: date, who: Principal) -> dict[str, Any]:
    """The application as `who` may read it: a submitter sees other people than its own
    masked in the findings (vouchers_shared.disclosure); operators and auditors see all."""
    mask = PeopleMask(view.people) if who.role == "submitter" else None
    checks = {
        name: (
            {
                "outcome": view.checks[name].outcome,
                "findings": _findings(view.checks[name].findings or [], mask),
                "refdata_versions": view.checks[name].refdata_versions,
            }
            if name in view.checks
            else {"outcome": "pending", "findings": [], "refdata_versions": {}}
        )
        for name in CHECKS
    }
    return {
        "application_id": view.application_id,
        "applicant_uscc": view.applicant_uscc,
        "status": view.status,
        "status_label": OFFICIAL_WORDING[view.status],
        "checks": checks,
        "voucher": view.voucher,
        "notice": view.notice,
        "approved_on": view.approved_on,
        "timeline": [
            {"at": step["at"].astimezone(SHANGHAI).isoformat(), "event": step["event"]}
            for step in view.timeline
        ],
        "working_days_elapsed": working_days_elapsed(view, today),
    }
