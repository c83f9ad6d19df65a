"""What happened to a case and what may be done to it now: timeline, objections, letters, actions.

The case's own timeline says who moved it. Beside it the console shows what the case does not
record itself: who opened its notice batch, who recorded an objection on a caller's behalf,
who asked for a letter to be sent again, and when each letter went out.

An action is offered only where the case's state allows it; the service layer refuses it
anyway if it is posted regardless (`notification.operations`, `notification.objections`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from notification.domain.case import Case
from notification.letters_admin import may_send_again


@dataclass(frozen=True)
class Entry:
    at: datetime
    what: str  # a case status, or one of the console's own records (notice_opened_by, ...)
    by: str = "system"
    note: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class LetterView:
    letter_id: str
    kind: str
    sent: bool
    sent_at: datetime | None
    channels_done: tuple[str, ...]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    may_send_again: bool


@dataclass(frozen=True)
class ObjectionView:
    objection_id: str
    reason: str
    contact: str
    raised_at: datetime | None
    recorded_by: str | None
    resolution: Mapping[str, Any] | None
    is_open: bool


@dataclass(frozen=True)
class Actions:
    review_pass: bool = False
    review_reject: bool = False
    record_objection: bool = False
    resolve: frozenset[str] = field(default_factory=frozenset)  # open objection ids

    @property
    def any(self) -> bool:
        return self.review_pass or self.review_reject or self.record_objection or bool(self.resolve)


def actions(case: Case, *, may_act: bool, today: date) -> Actions:
    """What an operator may do to the case now; nothing at all for an auditor."""
    if not may_act:
        return Actions()
    held = case.status == "needs_review"
    eligibility = case.verdicts.get("eligibility")
    passable = (
        held
        and case.review_pass is None
        and not any(v.failed for v in case.verdicts.values())
        and eligibility is not None
        and eligibility.voucher is not None
        and not eligibility.pending
    )
    in_period = (
        case.notice_starts_on is not None
        and case.notice_ends_on is not None
        and case.notice_starts_on <= today <= case.notice_ends_on
    )
    return Actions(
        review_pass=passable,
        review_reject=held,
        record_objection=in_period and case.status in ("in_public_notice", "objection_raised"),
        resolve=frozenset(case.open_objections) if case.status == "objection_raised" else frozenset(),
    )


def letters(docs: Sequence[Mapping[str, Any]]) -> tuple[LetterView, ...]:
    views = []
    for d in docs:
        attempts = list(d.get("attempts") or [])
        failed = [a for a in attempts if a.get("outcome") == "failed"]
        views.append(
            LetterView(
                str(d["_id"]),
                str(d.get("kind", "")),
                bool(d.get("sent")),
                d.get("sent_at"),
                tuple(d.get("channels_done") or ()),
                len(attempts),
                str(failed[-1].get("error")) if failed else None,
                None if d.get("sent") else d.get("next_attempt_at"),
                may_send_again(d),
            )
        )
    return tuple(sorted(views, key=lambda v: v.letter_id))


def objections(docs: Sequence[Mapping[str, Any]], open_ids: Sequence[str]) -> tuple[ObjectionView, ...]:
    views = [
        ObjectionView(
            str(d["_id"]),
            str(d.get("reason", "")),
            str(d.get("contact", "")),
            d.get("raised_at"),
            d.get("recorded_by"),
            d.get("resolved"),
            str(d["_id"]) in open_ids,
        )
        for d in docs
    ]
    return tuple(sorted(views, key=lambda v: (not v.is_open, v.objection_id)))


def timeline(
    case: Case,
    *,
    notice: Mapping[str, Any] | None,
    objection_docs: Sequence[Mapping[str, Any]],
    letter_docs: Sequence[Mapping[str, Any]],
) -> tuple[Entry, ...]:
    """The case's steps and the console's records about it, in the order they happened."""
    entries = [Entry(s.at, s.status, s.by, s.note, s.reasons) for s in case.timeline]
    if notice is not None and notice.get("opened_by") and notice.get("opened_at"):
        entries.append(
            Entry(notice["opened_at"], "notice_opened_by", notice["opened_by"], str(notice["_id"]))
        )
    for d in objection_docs:
        if d.get("recorded_by") and d.get("raised_at"):
            entries.append(Entry(d["raised_at"], "objection_recorded_by", d["recorded_by"], str(d["_id"])))
    for d in letter_docs:
        for asked in d.get("sent_again") or []:
            entries.append(Entry(asked["at"], "letter_sent_again_by", asked["by"], str(d["_id"])))
        if d.get("sent") and d.get("sent_at"):
            entries.append(Entry(d["sent_at"], "letter_sent", "system", f"{d.get('kind')} {d['_id']}"))
    return tuple(sorted(entries, key=lambda e: e.at))
