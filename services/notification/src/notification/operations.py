"""What operators do: review, notice batches, case listings; and the periodic sweeps (objections:
`notification.objections`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date

import structlog
from vouchers_shared import workdays
from vouchers_shared.errors import DomainRuleError, TransientError
from vouchers_shared.observability import metrics

from notification.adapters.mongo_store import CaseEntry, StoredCase
from notification.domain import deadlines, lifecycle
from notification.domain.case import FINAL_STATUSES
from notification.errors import CaseError
from notification.events_out import queue_approval, queue_notice, queue_review_passed
from notification.handlers import Deps, flush, queue_approval_letter, record_decision, settle

log = structlog.get_logger()


class NotFound(DomainRuleError):
    """No such application, notice or objection."""

    code, http_status = "NOT_FOUND", 404


class NothingToNotice(CaseError):
    """No application awaits a public notice: an empty batch is not opened."""

    code = "NOTHING_TO_NOTICE"
    title_zh, title_en = "没有待公示的申请", "No application awaits a public notice"
    message_zh = "没有待公示的申请，不开空的公示批次"


async def _case(deps: Deps, application_id: str) -> StoredCase:
    stored = await deps.store.load(application_id)
    if stored is None:
        raise NotFound(f"no case for application {application_id}")
    return stored


async def _commit(deps: Deps, stored: StoredCase) -> None:
    """Store the change, then publish its events; once stored, the change stands.

    Publishing is the outbox's job: if the case changed meanwhile (the sweep publishing the
    same outbox), the next sweep publishes whatever is left, under the same event ids.
    """
    await deps.store.save(stored)
    try:
        await flush(stored, deps)
    except TransientError as exc:
        log.info("outbox_left_to_sweep", application_id=stored.case.application_id, reason=str(exc))


async def _change(
    deps: Deps, application_id: str, step: Callable[[StoredCase], None], attempts: int = 5
) -> StoredCase:
    """Load, change and save one case; a case changed meanwhile (a verdict) is read again."""
    for attempt in range(1, attempts + 1):
        stored = await _case(deps, application_id)
        step(stored)
        try:
            await _commit(deps, stored)
        except TransientError:
            if attempt == attempts:
                raise
            continue
        return stored
    raise AssertionError("unreachable")


async def review(deps: Deps, application_id: str, decision: str, note: str, by: str) -> StoredCase:
    """Settle a needs_review case; the decision records who and when."""

    def step(stored: StoredCase) -> None:
        if decision == "pass":
            stored.case, passed = lifecycle.pass_review(stored.case, by=by, note=note, at=deps.clock.now())
            queue_review_passed(stored, passed)
            return
        stored.case, settled = lifecycle.reject_on_review(stored.case, by=by, note=note, at=deps.clock.now())
        record_decision(stored, settled)

    return await _change(deps, application_id, step)


async def status_after_review(deps: Deps, application_id: str, within_s: float) -> str:
    """The case's status once a passed review has been answered by eligibility, or still
    `needs_review` after `within_s`."""
    deadline = time.monotonic() + within_s
    while True:
        status = (await _case(deps, application_id)).case.status
        if status != "needs_review" or time.monotonic() >= deadline:
            return status
        await asyncio.sleep(0.1)


async def open_notice(deps: Deps, working_days: int) -> dict[str, object]:
    """A batch of every awaiting_notice case; the period counts Chinese working days (九).

    The period is computed first, so a period running into a year whose working days are not
    published yet is refused (`CalendarYearUnknown`) before anything changes. The notice is
    stored before its cases move, so no case is ever in a notice the public cannot see.
    """
    now = deps.clock.now()
    starts, ends = workdays.notice_period(now.date(), working_days)
    candidates = await deps.store.with_status("awaiting_notice")
    if not candidates:
        raise NothingToNotice("no application is awaiting a public notice")
    notice_id = f"GS{now.strftime('%Y%m%d')}-{uuid.uuid4().hex[:6].upper()}"
    entries = {s.case.application_id: _entry(s) for s in candidates}
    notice: dict[str, object] = {
        "_id": notice_id,
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "working_days": working_days,
        "opened_at": now,
        "entries": list(entries.values()),
    }
    await deps.store.save_notice(notice)

    def step(stored: StoredCase) -> None:
        stored.case = lifecycle.open_notice(
            stored.case, notice_id=notice_id, starts_on=starts, ends_on=ends, at=now
        )
        queue_notice(stored, notice_id, starts, ends, now)

    for application_id in list(entries):
        try:
            await _change(deps, application_id, step)
        except CaseError:  # moved on meanwhile (it cannot have left awaiting_notice by itself)
            del entries[application_id]
    if len(entries) != len(candidates):
        await deps.store.save_notice({**notice, "entries": list(entries.values())})
    log.info("notice_opened", notice_id=notice_id, applications=len(entries))
    return {
        "notice_id": notice_id,
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "application_ids": list(entries),
    }


def _entry(stored: StoredCase) -> dict[str, str]:
    """What the public notice shows of an application: organisation, project, amount."""
    voucher = stored.case.voucher
    return {
        "application_id": stored.case.application_id,
        "applicant_name": stored.info.get("applicant_name", ""),
        "project_title": stored.info.get("project_title", ""),
        "voucher_cny": str(voucher.total_cny) if voucher else "0.00",
    }


async def sweep(deps: Deps) -> None:
    """Periodic: time out silent checks, close ended notices, finish what a crash left.

    Reads the case index, then only the cases that have something due, each by id."""
    today, now = deps.clock.today(), deps.clock.now()
    entries = await deps.store.entries()
    for entry in entries:
        if entry.status == "checking" and now - entry.opened_at >= deps.check_timeout:
            await _each(deps, entry, "checking", lambda s: _time_out(deps, s))
        elif (
            entry.status == "in_public_notice"
            and entry.notice_ends_on is not None
            and today > entry.notice_ends_on
        ):
            await _each(deps, entry, "in_public_notice", lambda s: _approve(deps, s, today))
    for entry in entries:
        if entry.pending or entry.idle:
            await _each(deps, entry, None, lambda s: _finish(deps, s))
    count_overdue(deps, entries, today)


async def _each(
    deps: Deps, entry: CaseEntry, status: str | None, job: Callable[[StoredCase], Awaitable[None]]
) -> None:
    """One case's part of a sweep, if the case (not only its index entry) is in `status`; a case
    changed meanwhile is left to the next round."""
    stored = await deps.store.load(entry.application_id)
    if stored is None:  # its handler stopped between entry and case; redelivery writes both
        if deps.clock.now() - entry.opened_at > deps.check_timeout:
            await deps.store.forget(entry.application_id)
        return
    if deps.store.entry_of(stored) != entry:  # a save that failed after its entry was written
        await deps.store.reindex(stored)
    if status is not None and stored.case.status != status:
        return
    try:
        await job(stored)
    except TransientError as exc:
        log.info("sweep_case_deferred", application_id=stored.case.application_id, reason=str(exc))


async def _finish(deps: Deps, stored: StoredCase) -> None:
    """Pass on what a crash left queued; a final case with nothing left leaves the index."""
    await flush(stored, deps)
    if (
        stored.case.status in FINAL_STATUSES
        and not stored.outbox
        and all(x.get("handed_over") for x in stored.letters)
    ):
        await deps.store.forget(stored.case.application_id)


async def _time_out(deps: Deps, stored: StoredCase) -> None:
    before = stored.case.status
    settle(stored, deps)
    if stored.case.status != before:
        await _commit(deps, stored)


async def _approve(deps: Deps, stored: StoredCase, today: date) -> None:
    now = deps.clock.now()
    stored.case = lifecycle.approve(stored.case, on=today, at=now)
    queue_approval(stored, today, now)
    queue_approval_letter(stored)
    await _commit(deps, stored)
    voucher = stored.case.voucher
    log.info(
        "voucher_approved",
        application_id=stored.case.application_id,
        total_cny=str(voucher.total_cny) if voucher else None,
    )


def count_overdue(deps: Deps, entries: list[CaseEntry], today: date) -> None:
    """The gauge of open cases past the warning mark and past the limit (十)."""
    spans = Counter(
        (e.opened_at.date(), e.notice_starts_on, e.notice_ends_on)
        for e in entries
        if e.status in deadlines.OPEN_STATUSES
    )
    days = {span: deadlines.elapsed(span[0], today, span[1], span[2]) for span in spans}
    for mark in (deps.warning_working_days, deps.limit_working_days):
        past = sum(n for span, n in spans.items() if (d := days[span]) is not None and d > mark)
        metrics.CASES_OVER_LIMIT.labels(mark=str(mark)).set(past)


async def cases(
    deps: Deps, *, overdue: int | None, status: str | None, limit: int
) -> list[dict[str, object]]:
    """Cases for operators, the longest-running first; `overdue` keeps open ones past that mark."""
    today = deps.clock.today()
    statuses = (
        [status]
        if status
        else sorted(
            deadlines.OPEN_STATUSES
            if overdue is not None
            else deadlines.OPEN_STATUSES | {"rejected", "approved"}
        )
    )
    found = await deps.store.with_status(*statuses)
    if overdue is not None:
        found = [s for s in found if deadlines.is_past(s.case, today, overdue)]
    found.sort(key=lambda s: (-(deadlines.working_days_elapsed(s.case, today) or 0), s.case.opened_at))
    return [summary(s, today) for s in found[:limit]]


def summary(stored: StoredCase, today: date) -> dict[str, object]:
    """A case as operators list it: no personal data, the organisation and project only."""
    case = stored.case
    return {
        "application_id": case.application_id,
        "applicant_uscc": case.applicant_uscc,
        "applicant_name": stored.info.get("applicant_name"),
        "project_title": stored.info.get("project_title"),
        "status": case.status,
        "opened_at": case.opened_at.isoformat(),
        "notice_id": case.notice_id,
        "working_days_elapsed": deadlines.working_days_elapsed(case, today),
    }


async def case_detail(deps: Deps, application_id: str) -> dict[str, object]:
    """One case for operators: its timeline with who decided what, when and why; its letters."""
    stored = await _case(deps, application_id)
    case = stored.case
    letters = [
        {
            "letter_id": d["_id"],
            "kind": d["kind"],
            "sent": d["sent"],
            "channels_done": d.get("channels_done", []),
            "attempts": len(d.get("attempts", [])),
        }
        for d in await deps.store.letters_of(application_id)
    ]
    return {
        **summary(stored, deps.clock.today()),
        "checks": {name: v.outcome for name, v in case.verdicts.items()},
        "notice_starts_on": case.notice_starts_on,
        "notice_ends_on": case.notice_ends_on,
        "open_objections": list(case.open_objections),
        "approved_on": case.approved_on,
        "timeline": [step.model_dump(mode="json") for step in case.timeline],
        "letters": letters,
    }
