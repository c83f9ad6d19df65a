"""Feeds the status read model from every verdict, decision and notice topic."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from vouchers_shared import topics
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.kept import KeptDocuments
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing

from intake.adapters.mongo_store import IntakeStore, packed_view, view_of
from intake.domain.status import StatusView, apply_event
from intake.status_counts import StatusCounts

log = structlog.get_logger()
# Views kept in memory between batches, the most recently used, packed as the store keeps them
# (BSON, without their checks' findings, which are written once with their verdict and never
# needed to fold): about 1.8 KB each against 7.5 KB as a model, so ten thousand take under 20
# MB. In the filing peak an application's verdicts come after those of every application filed
# before it: the views kept must span the applications in flight, thousands at full speed.
CACHED_VIEWS = 10_000
READ_MODEL_TOPICS = (
    topics.APPLICATIONS,
    topics.COI,
    topics.ELIGIBILITY,
    topics.VERIFICATION,
    topics.DECISIONS,
    topics.NOTICES,
)
KNOWN_TYPES = frozenset(
    {
        topics.APPLICATION_SUBMITTED,
        topics.COI_ASSESSED,
        topics.ELIGIBILITY_ASSESSED,
        topics.VERIFICATION_COMPLETED,
        topics.CASE_DECIDED,
        topics.REVIEW_PASSED,
        topics.VOUCHER_APPROVED,
        topics.NOTICE_PUBLISHED,
        topics.OBJECTION_RAISED,
        topics.OBJECTION_RESOLVED,
    }
)


async def project(
    inbound: Inbound, store: IntakeStore, counts: StatusCounts | None = None
) -> Sequence[Outgoing]:
    """Apply one event to its application's view; a repeated event id changes nothing. A saved
    change of status is noted in `counts`."""
    return await Projector(store, counts).fold([inbound])


class Projector:
    """Folds a batch of events into the views they are about: each view read once (from this
    process's memory when it is one of its partitions' views, else in one query), every event
    applied in order, each changed view written once, all of them in one bulk write.

    One process at a time consumes an application's events (its partition), and nothing else
    writes the read model, so the views kept in memory are the store's own until the group
    moves partitions (`forget_all`). A batch that fails forgets its views: the records come
    again, one by one, and are read from the store.
    """

    def __init__(
        self, store: IntakeStore, counts: StatusCounts | None = None, remember: int = CACHED_VIEWS
    ) -> None:
        self._store, self._counts = store, counts
        self._views = KeptDocuments(remember)
        self._epoch = 0

    def forget_all(self) -> None:
        """Partitions moved: views in memory may have been written by another process since."""
        self._views.clear()
        self._epoch += 1

    async def fold(self, batch: Sequence[Inbound]) -> Sequence[Outgoing]:
        epoch, events = self._epoch, [_event(inbound) for inbound in batch]
        ids = list(dict.fromkeys(event.application_id for event in events))
        try:
            new = {i for i in _expected_new(events) if i not in self._views}
            stored = await self._load([i for i in ids if i not in new])
            stored.update(dict.fromkeys(new))
            views = _applied(events, stored)
            changed = [views[i] for i in ids if views[i] is not stored[i]]
            opened = [v for v in changed if v.application_id in new]
            taken = await self._store.insert_views(opened) if opened else []
            if taken:  # stored after all (a redelivery, a view not kept): folded again from the store
                stored.update(await self._load(taken))
                views.update(_applied([e for e in events if e.application_id in taken], stored))
                changed = [views[i] for i in ids if views[i] is not stored[i]]
            if known := [v for v in changed if v.application_id not in new or v.application_id in taken]:
                await self._store.save_views(known)
        except BaseException:
            self._views.drop(ids)
            raise
        last = {event.application_id: event.inbound for event in events}
        every_change = log.is_enabled_for(logging.DEBUG)
        for view in changed:
            was = stored[view.application_id]
            before = None if was is None else was.status
            if self._counts is not None:
                self._counts.moved(before, view.status)
            moved = before != view.status  # the second and third verdicts move a check, not the status
            if moved or every_change:
                with last[view.application_id].log_context():
                    (log.info if moved else log.debug)(
                        "status_projected", application_id=view.application_id, status=view.status
                    )
        if epoch == self._epoch:
            self._keep(views.values(), {view.application_id for view in changed})
        return ()

    async def _load(self, ids: list[str]) -> dict[str, StatusView | None]:
        """Each view as the store has it (None: none yet), from memory where it is kept."""
        found: dict[str, StatusView | None] = {
            i: view_of(doc) for i in ids if (doc := self._views.get(i)) is not None
        }
        missing = [i for i in ids if i not in found]
        if missing:
            loaded = await self._store.load_views(missing)
            found.update((i, loaded.get(i)) for i in missing)
        return found

    def _keep(self, views: Iterable[StatusView], changed: set[str]) -> None:
        for view in views:
            key = view.application_id
            if key in changed or key not in self._views:  # written: its findings not needed again
                self._views.keep(key, packed_view(view))  # a kept one read this batch is the newest


@dataclass(frozen=True)
class _Event:
    application_id: str
    inbound: Inbound
    body: dict[str, Any]

    def applied_to(self, view: StatusView) -> StatusView:
        envelope = self.inbound.envelope
        try:
            return apply_event(view, envelope.id, envelope.type, envelope.time, self.body)
        except (KeyError, TypeError, ValueError) as exc:
            raise PoisonMessage(f"{envelope.type} body is missing fields: {exc!r}") from exc


def _expected_new(events: Sequence[_Event]) -> set[str]:
    """Applications filed or judged in the batch: unless kept in memory, their view is expected
    to be new (inserted without a read; one stored after all is read then). In the filing peak an
    application's verdicts often come a batch ahead of its filing, whose records are the larger.
    Not one with two verdicts of a check in the batch: a view found stored or new must end with
    the findings of the newest, which an insert only where none is stored would not ensure."""
    seen: set[tuple[str, str]] = set()
    twice: set[str] = set()
    opening: set[str] = set()
    for event in events:
        kind = event.inbound.envelope.type
        if kind in _VERDICTS:
            if (event.application_id, kind) in seen:
                twice.add(event.application_id)
            seen.add((event.application_id, kind))
        if kind in _VERDICTS or kind == topics.APPLICATION_SUBMITTED:
            opening.add(event.application_id)
    return opening - twice


_VERDICTS = frozenset({topics.COI_ASSESSED, topics.ELIGIBILITY_ASSESSED, topics.VERIFICATION_COMPLETED})


def _applied(events: Sequence[_Event], stored: dict[str, StatusView | None]) -> dict[str, StatusView]:
    """The views of `events`' applications after them, in order, from `stored` (None: none)."""
    views = {
        e.application_id: stored[e.application_id] or StatusView(application_id=e.application_id)
        for e in events
    }
    for event in events:
        views[event.application_id] = event.applied_to(views[event.application_id])
    return views


def _event(inbound: Inbound) -> _Event:
    """The event and the application it is about; poison when it cannot be one of the model's."""
    if inbound.envelope.type not in KNOWN_TYPES:
        raise PoisonMessage(f"unknown event type {inbound.envelope.type!r} on {inbound.topic}")
    body = inbound.json()
    if not isinstance(body, dict) or not isinstance(body.get("application_id"), str):
        raise PoisonMessage("event body has no application_id")
    return _Event(body["application_id"], inbound, body)
