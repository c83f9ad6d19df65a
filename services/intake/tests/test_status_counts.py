"""Applications per status from the changes the projector saved, never from reading the read
model after the start: a repeated event counts nothing, a moved status moves one count, and
nothing is written while nothing moved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from intake.domain.status import StatusView
from intake.read_model import project
from intake.status_counts import StatusCounts
from prometheus_client import REGISTRY
from vouchers_shared import topics
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound

T0 = datetime.fromisoformat("2026-05-20T10:00:00+08:00")


class FakeStore:
    """The intake store's views and counters, in memory; counts its writes."""

    def __init__(self) -> None:
        self.views: dict[str, StatusView] = {}
        self.counters: dict[str, int] = {}
        self.counter_writes = 0
        self.whole_reads = 0

    async def load_views(self, application_ids: Sequence[str]) -> dict[str, StatusView]:
        return {i: self.views[i] for i in application_ids if i in self.views}

    async def save_views(self, views: Sequence[StatusView]) -> None:
        self.views.update((view.application_id, view) for view in views)

    async def insert_views(self, views: Sequence[StatusView]) -> list[str]:
        taken = [view.application_id for view in views if view.application_id in self.views]
        self.views.update((view.application_id, view) for view in views if view.application_id not in taken)
        return taken

    async def count_by_status(self) -> dict[str, int]:
        self.whole_reads += 1
        counts: dict[str, int] = {}
        for view in self.views.values():
            counts[view.status] = counts.get(view.status, 0) + 1
        return counts

    async def status_counts(self) -> dict[str, int]:
        return dict(self.counters)

    async def set_status_counts(self, counts: dict[str, int]) -> None:
        self.counter_writes += 1
        self.counters = dict(counts)

    async def add_status_counts(self, deltas: dict[str, int]) -> None:
        self.counter_writes += 1
        for status, n in deltas.items():
            self.counters[status] = self.counters.get(status, 0) + n


def inbound(event_id: str, type_: str, body: dict[str, Any], at: datetime = T0) -> Inbound:
    envelope = Envelope.new(type_, "test", body["application_id"], id_=event_id, time=at)
    return Inbound("t", 0, 0, None, envelope.headers(), json.dumps(body).encode(), envelope)


def submitted(app_id: str) -> Inbound:
    return inbound(
        f"s-{app_id}",
        topics.APPLICATION_SUBMITTED,
        {
            "application_id": app_id,
            "applicant_uscc": "91440305MA0000001W",
            "submitted_at": T0.isoformat(),
            "application": {"program_year": 2026, "applicant": {"name": "甲"}, "project": {"title": "乙"}},
        },
    )


def verdict(app_id: str) -> Inbound:
    return inbound(
        f"v-{app_id}",
        topics.COI_ASSESSED,
        {"application_id": app_id, "applicant_uscc": "x", "outcome": "pass", "findings": []},
        T0 + timedelta(seconds=1),
    )


def decided(app_id: str, status: str) -> Inbound:
    return inbound(
        f"d-{app_id}",
        topics.CASE_DECIDED,
        {"application_id": app_id, "applicant_uscc": "x", "status": status},
        T0 + timedelta(seconds=2),
    )


def gauge(status: str) -> float | None:
    return REGISTRY.get_sample_value("vouchers_applications", {"status": status})


async def test_the_counters_follow_every_saved_change_of_status_and_nothing_else() -> None:
    store: Any = FakeStore()
    counts = StatusCounts(store, gauge_every_s=0)
    await counts.recount()
    events = [
        submitted("A"),
        submitted("B"),
        verdict("A"),
        submitted("A"),  # a redelivery
        decided("A", "rejected"),
        verdict("C"),
        submitted("C"),
        decided("C", "awaiting_notice"),
        decided("A", "rejected"),
    ]
    for event in events:
        await project(event, store, counts)
    await counts.tick()
    assert store.counters == {"received": 1, "rejected": 1, "awaiting_notice": 1}
    assert {s: n for s, n in store.counters.items() if n} == await store.count_by_status()
    assert gauge("received") == 1
    assert gauge("rejected") == 1


async def test_nothing_is_read_or_written_while_nothing_moves() -> None:
    store: Any = FakeStore()
    counts = StatusCounts(store, gauge_every_s=3600)
    await counts.recount()
    await project(submitted("A"), store, counts)
    await counts.tick()
    writes, reads = store.counter_writes, store.whole_reads
    for _ in range(20):
        await counts.tick()
    await project(submitted("A"), store, counts)  # the same event again moves nothing
    await counts.tick()
    assert (store.counter_writes, store.whole_reads) == (writes, reads)


async def test_a_recount_takes_the_views_as_they_are() -> None:
    store: Any = FakeStore()
    await project(submitted("A"), store)  # before the counts (another process, a crash)
    await project(submitted("B"), store)
    counts = StatusCounts(store)
    assert await counts.recount() == {"received": 2}
    assert store.counters == {"received": 2}
