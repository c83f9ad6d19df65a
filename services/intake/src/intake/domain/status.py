"""The status read model: folds every event about an application into what a reader sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from vouchers_shared import topics
from vouchers_shared.disclosure import declared_people

OFFICIAL_WORDING = {
    "received": "待窗口受理",
    "checking": "形式审查及委托核查中",
    "needs_review": "待人工复核",
    "rejected": "不予立项",
    "awaiting_notice": "拟立项，待社会公示",
    "in_public_notice": "社会公示中",
    "objection_raised": "公示异议处理中",
    "approved": "已审定，发放训力券",
}
CHECK_OF_EVENT = {
    topics.COI_ASSESSED: "conflict_of_interest",
    topics.ELIGIBILITY_ASSESSED: "eligibility",
    topics.VERIFICATION_COMPLETED: "verification",
}
TIMELINE_WORDS = {
    topics.APPLICATION_SUBMITTED: "received",
    topics.COI_ASSESSED: "conflict_of_interest_assessed",
    topics.ELIGIBILITY_ASSESSED: "eligibility_assessed",
    topics.VERIFICATION_COMPLETED: "verification_completed",
    topics.CASE_DECIDED: "case_decided",
    topics.REVIEW_PASSED: "review_passed",
    topics.NOTICE_PUBLISHED: "public_notice_opened",
    topics.OBJECTION_RAISED: "objection_raised",
    topics.OBJECTION_RESOLVED: "objection_resolved",
    topics.VOUCHER_APPROVED: "approved",
}


class Check(BaseModel):
    outcome: str
    findings: list[dict[str, Any]] | None = Field(default_factory=list)
    """None when they were left where they are kept: a check's findings are most of a view's
    size, written once with their verdict, and read only to be shown (see `without_findings`)."""
    at: datetime
    refdata_versions: dict[str, str] = Field(default_factory=dict)
    """The reference-data snapshot of each kind the verdict was reached on."""


class Lifecycle(BaseModel):
    status: str
    at: datetime


class StatusView(BaseModel):
    """One application as readers see it; `applied_events` makes every update idempotent."""

    application_id: str
    applicant_uscc: str | None = None
    program_year: int | None = None
    applicant_name: str | None = None
    project_title: str | None = None
    people: list[str] = Field(default_factory=list)
    """The person ids the application declares: the applicant's own people, shown to it in full."""
    submitted_at: datetime | None = None
    checks: dict[str, Check] = Field(default_factory=dict)
    voucher: dict[str, Any] | None = None
    lifecycle: list[Lifecycle] = Field(default_factory=list)
    timeline: list[dict[str, Any]] = Field(default_factory=list)
    notice: dict[str, Any] | None = None
    approved_on: str | None = None
    applied_events: list[str] = Field(default_factory=list)

    @property
    def status(self) -> str:
        if self.lifecycle:
            return max(self.lifecycle, key=lambda step: step.at).status
        return "checking" if self.checks else "received"

    def without_findings(self) -> StatusView:
        """The view with its checks' findings left out (None), as folding needs it."""
        if all(check.findings is None for check in self.checks.values()):
            return self
        checks = {name: check.model_copy(update={"findings": None}) for name, check in self.checks.items()}
        return self.model_copy(update={"checks": checks})


def apply_event(
    view: StatusView, event_id: str, event_type: str, at: datetime, body: dict[str, Any]
) -> StatusView:
    """The view after one event; an event already applied changes nothing."""
    if event_id in view.applied_events:
        return view
    step = {"at": at, "event": TIMELINE_WORDS.get(event_type, event_type)}
    # A new view with new containers for what `_fold` changes in place; the items they hold
    # (checks, steps, lifecycle entries) are replaced, never changed, so they are shared.
    view = view.model_copy(
        update={
            "applied_events": [*view.applied_events, event_id],
            "timeline": sorted([*view.timeline, step], key=lambda s: s["at"]),
            "checks": dict(view.checks),
            "lifecycle": list(view.lifecycle),
        }
    )
    _fold(view, event_type, at, body)
    return view


def _fold(view: StatusView, event_type: str, at: datetime, body: dict[str, Any]) -> None:
    if event_type == topics.APPLICATION_SUBMITTED:
        application = body["application"]
        view.applicant_uscc = body["applicant_uscc"]
        view.program_year = application["program_year"]
        view.applicant_name = application["applicant"]["name"]
        view.project_title = application["project"]["title"]
        view.people = sorted(declared_people(application))
        view.submitted_at = datetime.fromisoformat(body["submitted_at"])
    elif event_type in CHECK_OF_EVENT:
        _fold_check(view, CHECK_OF_EVENT[event_type], at, body)
    elif event_type == topics.CASE_DECIDED:
        view.lifecycle.append(Lifecycle(status=body["status"], at=at))
    elif event_type == topics.NOTICE_PUBLISHED:
        view.notice = {k: body[k] for k in ("notice_id", "starts_on", "ends_on")}
        view.lifecycle.append(Lifecycle(status="in_public_notice", at=at))
    elif event_type == topics.OBJECTION_RAISED:
        view.lifecycle.append(Lifecycle(status="objection_raised", at=at))
    elif event_type == topics.OBJECTION_RESOLVED and not body["upheld"]:
        view.lifecycle.append(Lifecycle(status="in_public_notice", at=at))
    elif event_type == topics.VOUCHER_APPROVED:
        view.approved_on = body["approved_on"]
        view.lifecycle.append(Lifecycle(status="approved", at=at))


def _fold_check(view: StatusView, check: str, at: datetime, body: dict[str, Any]) -> None:
    previous = view.checks.get(check)
    if previous is not None and previous.at > at:
        return  # an older verdict arriving late does not replace a newer one
    view.checks[check] = Check(
        outcome=body["outcome"],
        findings=body.get("findings", []),
        at=at,
        refdata_versions=body.get("refdata_versions") or {},
    )
    if check == "eligibility":
        view.voucher = body.get("voucher")
    if view.applicant_uscc is None:
        view.applicant_uscc = body.get("applicant_uscc")
