"""What notification's HTTP API answers when it succeeds (errors are problems:
vouchers_shared.problems)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from notification.domain.case import Status
from notification.domain.notice_page import NoticeView


class CaseStatus(BaseModel):
    application_id: str
    status: Status


class ReviewPassedReserving(CaseStatus):
    """A passed review whose voucher is still being reserved (202)."""

    review: Literal["passed"]
    detail: str


class NoticeOpened(BaseModel):
    notice_id: str
    starts_on: date
    ends_on: date
    application_ids: list[str]


class CaseSummary(BaseModel):
    """A case as operators list it: no personal data, the organisation and project only."""

    application_id: str
    applicant_uscc: str
    applicant_name: str | None
    project_title: str | None
    status: Status
    opened_at: datetime
    notice_id: str | None
    working_days_elapsed: int | None = Field(
        description="working days since the case opened, the public-notice period left out (十); "
        "null while a year's working days are not known"
    )


class CaseList(BaseModel):
    items: list[CaseSummary]
    today: date


class TimelineStep(BaseModel):
    at: datetime
    status: Status
    by: str
    note: str | None
    decision_id: str | None
    reasons: list[str]


class LetterSummary(BaseModel):
    letter_id: str
    kind: str
    sent: bool
    channels_done: list[str]
    attempts: int


class CaseDetail(CaseSummary):
    """One case: its checks, notice period, open objections, timeline (who decided what, when,
    why) and letters."""

    checks: dict[Literal["eligibility", "conflict_of_interest", "verification"], str]
    notice_starts_on: date | None
    notice_ends_on: date | None
    open_objections: list[str]
    approved_on: date | None
    timeline: list[TimelineStep]
    letters: list[LetterSummary]


class ObjectionFiled(BaseModel):
    objection_id: str
    status: Literal["objection_raised", "already_filed"] = Field(
        description="already_filed (200): the same objection was filed before; this is its id"
    )


class Dismissal(BaseModel):
    application_id: str
    status: Status
    objection_ids: list[str]


class Dismissals(BaseModel):
    dismissed: list[Dismissal]


class NoticeIndex(BaseModel):
    items: list[NoticeView]
