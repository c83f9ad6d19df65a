"""The public notice (社会公示) as an accessible HTML page: organisations and amounts only.

A notice shows, for each application, the applicant organisation's name, the project title
and the voucher amount. It never shows personal data: no names of people, no person ids, no
phone numbers or e-mail addresses. `NoticeEntry` refuses any other field, and
`NoticeEntry.from_application` is the one way to build it from a filed application.

A notice lists only the applications still in it: one rejected on an upheld objection is
withdrawn (its id added to the stored notice's `withdrawn`) and no longer listed, in the page
or in its JSON; the page says how many were withdrawn.

During its period the page offers the objection form (`objection_form`) for the applications
it lists, each row linking to the form with its application chosen; before or after the period
it says when objections are taken instead. The pages answering a filed form (the reference
number, or why it was refused) show nothing of what the objector entered but the application.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from vouchers_shared.application import Application
from vouchers_shared.types import Money

from notification.domain.objection_form import FIELDS, FORM_ERROR, LABELS, MAX_LENGTHS, ObjectionForm
from notification.domain.templating import environment

Period = Literal["before", "running", "ended"]


class NoticeEntry(BaseModel):
    """One application on a notice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: str
    applicant_name: str
    project_title: str
    voucher_cny: Money

    @classmethod
    def from_application(
        cls, application_id: str, application: Application, voucher_cny: Decimal
    ) -> NoticeEntry:
        """The public part of an application: organisation name and project title."""
        return cls(
            application_id=application_id,
            applicant_name=application.applicant.name,
            project_title=application.project.title,
            voucher_cny=voucher_cny,
        )


class NoticeView(BaseModel):
    """A public-notice batch as the public sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notice_id: str
    starts_on: date
    ends_on: date
    working_days: int
    entries: tuple[NoticeEntry, ...] = ()
    withdrawn: int = 0  # applications withdrawn since the notice opened (an objection upheld)

    @model_validator(mode="after")
    def _period_in_order(self) -> NoticeView:
        if self.ends_on < self.starts_on:
            raise ValueError(f"notice {self.notice_id} ends before it starts")
        return self

    @property
    def objection_path(self) -> str:
        """Where objections to this notice are filed (POST, JSON)."""
        return f"/v1/notices/{self.notice_id}/objections"

    @property
    def form_path(self) -> str:
        """Where the objection form on the page is sent (POST, form-encoded)."""
        return f"/notices/{self.notice_id}/objections"

    def period(self, today: date) -> Period:
        """Where `today` stands to the notice period, its first and last day included."""
        if today < self.starts_on:
            return "before"
        return "running" if today <= self.ends_on else "ended"

    @property
    def total_cny(self) -> Decimal:
        return sum((e.voucher_cny for e in self.entries), Decimal("0.00"))


def notice_view(doc: Mapping[str, Any]) -> NoticeView:
    """A stored notice as the public sees it: the applications withdrawn since left out."""
    entries = [NoticeEntry.model_validate(e) for e in doc["entries"]]
    withdrawn = set(doc.get("withdrawn") or ())
    return NoticeView(
        notice_id=doc["_id"],
        starts_on=doc["starts_on"],
        ends_on=doc["ends_on"],
        working_days=doc["working_days"],
        entries=tuple(e for e in entries if e.application_id not in withdrawn),
        withdrawn=sum(1 for e in entries if e.application_id in withdrawn),
    )


def lists(doc: Mapping[str, Any], application_id: str) -> bool:
    """The stored notice still lists `application_id` (it is in it and not withdrawn)."""
    return application_id in {e["application_id"] for e in doc["entries"]} and application_id not in (
        doc.get("withdrawn") or ()
    )


def render_notice_page(notice: NoticeView, *, today: date, form: ObjectionForm | None = None) -> str:
    """The HTML page of one notice, with the objection form while its period runs on `today`:
    blank, or as filed with a message by each field in error. An application chosen in `form`
    that the notice does not list is not chosen."""
    form = form or ObjectionForm()
    return (
        environment()
        .get_template("notice.html.j2")
        .render(
            notice=notice,
            period=notice.period(today),
            form=form,
            offered=notice.period(today) == "running" and bool(notice.entries),
            fields=FIELDS,
            labels=LABELS,
            max_lengths=MAX_LENGTHS,
            form_error=form.errors.get(FORM_ERROR),
        )
    )


def render_objection_filed(notice: NoticeView, application_id: str, objection_id: str, *, new: bool) -> str:
    """The answer to a filed form: the reference number (the first one's when filed before)
    and what happens next."""
    return (
        environment()
        .get_template("objection_filed.html.j2")
        .render(notice=notice, application_id=application_id, objection_id=objection_id, new=new)
    )


def render_objection_refused(title: str, message: str, notice_id: str | None = None) -> str:
    """Why a filed form could not be taken, with the way back to the notice (or to them all)."""
    return (
        environment()
        .get_template("objection_refused.html.j2")
        .render(title=title, message=message, notice_id=notice_id)
    )


def render_notices_index(notices: Sequence[NoticeView]) -> str:
    """The HTML list of notices, newest first."""
    ordered = sorted(notices, key=lambda n: (n.starts_on, n.notice_id), reverse=True)
    return environment().get_template("notices_index.html.j2").render(notices=ordered)
