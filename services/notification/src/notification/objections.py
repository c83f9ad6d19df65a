"""Objections during a public notice (九 征求意见): filed by anyone, dismissed or upheld by operators.

Each objection is a document of its own; its id comes from the application, the contact and
the reason, so the same objection filed again is answered with the first one's id and nothing
new is stored. The case holds the ids of its open objections only, at most `most_open`.
An upheld objection rejects the application and withdraws it from its notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vouchers_shared.store import Document

from notification.adapters.mongo_store import StoredCase
from notification.domain import lifecycle
from notification.domain.case import make_decision_id
from notification.domain.notice_page import lists
from notification.domain.objections import objection_id
from notification.errors import CaseError, NoOpenObjectionError
from notification.events_out import queue_objection
from notification.handlers import Deps, record_decision
from notification.operations import NotFound, _case, _change


@dataclass(frozen=True)
class Filed:
    objection_id: str
    new: bool  # False: the same objection was filed before; this is its id


@dataclass(frozen=True)
class Dismissed:
    application_id: str
    status: str
    objection_ids: tuple[str, ...]


async def object_to(
    deps: Deps,
    notice_id: str,
    application_id: str,
    reason: str,
    contact: str,
    *,
    objector: str | None = None,
    most_open: int,
) -> Filed:
    """Anyone objects to an application on a running notice; the case waits for an operator.
    `objector` (a name or an organisation, if given) is kept with the objection, not in its id."""
    notice = await deps.store.notice(notice_id)
    if notice is None or not lists(notice, application_id):
        raise NotFound(f"application {application_id} is not in notice {notice_id}")
    oid = objection_id(application_id, contact, reason)
    stored = await _case(deps, application_id)
    earlier = await deps.store.objection(oid)
    if earlier is not None and (earlier.get("resolved") or oid in stored.case.open_objections):
        return Filed(oid, new=False)
    now = deps.clock.now()

    def step(stored: StoredCase) -> None:
        stored.case = lifecycle.raise_objection(
            stored.case, objection_id=oid, on=now.date(), at=now, most_open=most_open
        )
        queue_objection(stored, notice_id, oid, now)

    step(stored)  # refused (outside the period, case final, too many open) before anything is stored
    added = await deps.store.add_objection(
        {
            "_id": oid,
            "notice_id": notice_id,
            "reason": reason,
            "application_id": application_id,
            "contact": contact,
            "objector": objector,
            "raised_at": now,
            "resolved": None,
        }
    )
    try:
        await _change(deps, application_id, step)
    except CaseError:  # the case moved on meanwhile: the objection it refused is not kept
        if added:
            await deps.store.drop_objection(oid)
        raise
    return Filed(oid, new=added)


async def _objection(deps: Deps, oid: str) -> Document:
    objection = await deps.store.objection(oid)
    if objection is None:
        raise NotFound(f"no objection {oid}")
    return objection


async def uphold(deps: Deps, oid: str, note: str, by: str) -> StoredCase:
    """The objection holds: the application is rejected (final) and withdrawn from its notice.

    Asked again after a failure half-way, it finishes what is left (the objection's record,
    the notice) without deciding twice."""
    objection = await _objection(deps, oid)
    application_id, notice_id = objection["application_id"], objection["notice_id"]
    now = deps.clock.now()

    def step(stored: StoredCase) -> None:
        stored.case, decision = lifecycle.uphold_objection(
            stored.case, objection_id=oid, by=by, note=note, at=now
        )
        record_decision(stored, decision)
        queue_objection(stored, notice_id, oid, now, upheld=True, by=by)

    stored = await _case(deps, application_id)
    if stored.case.decision_id != make_decision_id(application_id, "objection", oid):
        stored = await _change(deps, application_id, step)
    if objection.get("resolved") is None:
        await deps.store.resolve_objection(oid, {"upheld": True, "note": note, "by": by, "at": now})
    await deps.store.withdraw_from_notice(notice_id, application_id)
    return stored


async def dismiss(
    deps: Deps, *, objection_ids: Sequence[str] = (), application_id: str | None = None, note: str, by: str
) -> list[Dismissed]:
    """Dismiss the objections named, or every open one of `application_id`, each on the timeline
    of its case. Every one must be open: if one is not, nothing is dismissed."""
    wanted = await _open_by_case(deps, objection_ids, application_id)
    for app_id, ids in wanted.items():  # all refused before any is dismissed
        lifecycle.dismiss_objections(
            (await _case(deps, app_id)).case, objection_ids=ids, by=by, note=note, at=deps.clock.now()
        )
    done = []
    for app_id, ids in wanted.items():
        done.append(await _dismiss_on(deps, app_id, ids, note, by))
    return done


async def _open_by_case(
    deps: Deps, objection_ids: Sequence[str], application_id: str | None
) -> dict[str, list[str]]:
    if application_id is not None:
        open_ids = list((await _case(deps, application_id)).case.open_objections)
        if not open_ids:
            raise NoOpenObjectionError(application_id)
        return {application_id: open_ids}
    by_case: dict[str, list[str]] = {}
    missing = []
    for oid in dict.fromkeys(objection_ids):
        objection = await deps.store.objection(oid)
        if objection is None:
            missing.append(oid)
        else:
            by_case.setdefault(objection["application_id"], []).append(oid)
    if missing:
        raise NotFound(f"no objection {', '.join(missing)}")
    return by_case


async def _dismiss_on(deps: Deps, application_id: str, ids: list[str], note: str, by: str) -> Dismissed:
    now = deps.clock.now()

    def step(stored: StoredCase) -> None:
        stored.case = lifecycle.dismiss_objections(stored.case, objection_ids=ids, by=by, note=note, at=now)
        for oid in ids:
            queue_objection(stored, stored.case.notice_id or "", oid, now, upheld=False, by=by)

    stored = await _change(deps, application_id, step)
    for oid in ids:
        await deps.store.resolve_objection(oid, {"upheld": False, "note": note, "by": by, "at": now})
    return Dismissed(application_id, stored.case.status, tuple(ids))
