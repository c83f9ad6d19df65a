"""What operators and the public do: review, notice batches, objections; and the periodic sweeps."""

from __future__ import annotations

import uuid
from datetime import date

import structlog
from vouchers_shared import workdays
from vouchers_shared.errors import DomainRuleError
from vouchers_shared.observability import metrics

from notification.adapters.mongo_store import StoredCase
from notification.domain import lifecycle
from notification.events_out import queue_approval, queue_notice, queue_objection
from notification.handlers import Deps, flush, queue_approval_letter, record_decision, settle

log = structlog.get_logger()


class NotFound(DomainRuleError):
    """No such application, notice or objection."""


async def _case(deps: Deps, application_id: str) -> StoredCase:
    stored = await deps.store.load(application_id)
    if stored is None:
        raise NotFound(f"no case for application {application_id}")
    return stored


async def _commit(deps: Deps, stored: StoredCase) -> None:
    await deps.store.save(stored)
    await flush(stored, deps)


async def review(deps: Deps, application_id: str, decision: str, note: str, by: str) -> StoredCase:
    stored = await _case(deps, application_id)
    now = deps.clock.now()
    step = lifecycle.pass_review if decision == "pass" else lifecycle.reject_on_review
    stored.case, settled = step(stored.case, by=by, note=note, at=now)
    record_decision(stored, settled)
    await _commit(deps, stored)
    return stored


async def open_notice(deps: Deps, working_days: int) -> dict[str, object]:
    """A batch of every awaiting_notice case; the period counts Chinese working days (九)."""
    now = deps.clock.now()
    starts, ends = workdays.notice_period(now.date(), working_days)
    notice_id = f"GS{now.strftime('%Y%m%d')}-{uuid.uuid4().hex[:6].upper()}"
    cases = await deps.store.with_status("awaiting_notice")
    entries = []
    for stored in cases:
        stored.case = lifecycle.open_notice(stored.case, notice_id=notice_id, starts_on=starts,
                                            ends_on=ends, at=now)
        queue_notice(stored, notice_id, starts, ends, now)
        await _commit(deps, stored)
        voucher = stored.case.voucher
        entries.append({"application_id": stored.case.application_id,
                        "applicant_name": stored.info.get("applicant_name", ""),
                        "project_title": stored.info.get("project_title", ""),
                        "voucher_cny": str(voucher.total_cny) if voucher else "0.00"})
    notice = {"_id": notice_id, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
              "working_days": working_days, "entries": entries, "closed": False}
    await deps.store.save_notice(notice)
    log.info("notice_opened", notice_id=notice_id, applications=len(entries))
    return {"notice_id": notice_id, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
            "application_ids": [e["application_id"] for e in entries]}


async def object_to(deps: Deps, notice_id: str, application_id: str, reason: str,
                    contact: str) -> str:
    notice = await deps.store.notice(notice_id)
    if notice is None or application_id not in {e["application_id"] for e in notice["entries"]}:
        raise NotFound(f"application {application_id} is not in notice {notice_id}")
    stored = await _case(deps, application_id)
    now = deps.clock.now()
    objection_id = f"OBJ-{uuid.uuid4().hex[:10].upper()}"
    stored.case = lifecycle.raise_objection(stored.case, objection_id=objection_id, on=now.date(), at=now)
    queue_objection(stored, notice_id, objection_id, now)
    await deps.store.save_objection({"_id": objection_id, "notice_id": notice_id, "reason": reason,
                                     "application_id": application_id, "contact": contact,
                                     "raised_at": now, "resolved": None})
    await _commit(deps, stored)
    return objection_id


async def resolve(deps: Deps, objection_id: str, upheld: bool, note: str, by: str) -> StoredCase:
    objection = await deps.store.objection(objection_id)
    if objection is None:
        raise NotFound(f"no objection {objection_id}")
    stored = await _case(deps, objection["application_id"])
    now = deps.clock.now()
    if upheld:
        stored.case, decision = lifecycle.uphold_objection(stored.case, objection_id=objection_id,
                                                            by=by, note=note, at=now)
        record_decision(stored, decision)
    else:
        stored.case = lifecycle.dismiss_objection(stored.case, objection_id=objection_id, by=by,
                                                  note=note, at=now)
    queue_objection(stored, objection["notice_id"], objection_id, now, upheld=upheld, by=by)
    await deps.store.save_objection({**objection, "resolved": {"upheld": upheld, "note": note,
                                                               "by": by, "at": now}})
    await _commit(deps, stored)
    return stored


async def sweep(deps: Deps) -> None:
    """Periodic: time out silent checks, close ended notices, finish what a crash left."""
    today = deps.clock.today()
    for stored in await deps.store.with_status("checking"):
        before = stored.case.status
        settle(stored, deps)
        if stored.case.status != before:
            await _commit(deps, stored)
    for stored in await deps.store.with_status("in_public_notice"):
        ends = stored.case.notice_ends_on
        if ends is not None and today > ends:
            await _approve(deps, stored, today)
    for stored in await deps.store.with_outbox():
        await flush(stored, deps)
    _count_overdue(await deps.store.with_status("checking", "needs_review", "awaiting_notice"), today)


async def _approve(deps: Deps, stored: StoredCase, today: date) -> None:
    now = deps.clock.now()
    stored.case = lifecycle.approve(stored.case, on=today, at=now)
    queue_approval(stored, today, now)
    queue_approval_letter(stored)
    await _commit(deps, stored)
    voucher = stored.case.voucher
    log.info("voucher_approved", application_id=stored.case.application_id,
             total_cny=str(voucher.total_cny) if voucher else None)


def _count_overdue(open_cases: list[StoredCase], today: date) -> None:
    past = {"50": 0, "60": 0}
    for stored in open_cases:
        try:
            elapsed = workdays.working_days_between(stored.case.opened_at.date(), today)
        except workdays.CalendarYearUnknown:
            continue
        past["50"] += elapsed > 50
        past["60"] += elapsed > 60
    for mark, count in past.items():
        metrics.CASES_OVER_LIMIT.labels(mark=mark).set(count)


