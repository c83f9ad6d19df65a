"""The read model folds a batch: each view read once and written once, the same views as one
event at a time, and what it keeps in memory is dropped when partitions move or a batch fails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
import structlog
from intake import read_model
from intake.domain.status import StatusView
from intake.read_model import Projector, project
from intake.status_counts import StatusCounts
from vouchers_shared import topics

from .test_status_counts import T0, FakeStore, decided, inbound, submitted, verdict


class CountingStore(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[list[str]] = []
        self.writes: list[list[str]] = []
        self.inserts: list[list[str]] = []
        self.fail_writes = False

    async def load_views(self, application_ids: Sequence[str]) -> dict[str, StatusView]:
        self.reads.append(list(application_ids))
        return await super().load_views(application_ids)

    async def save_views(self, views: Sequence[StatusView]) -> None:
        if self.fail_writes:
            raise OSError("the store went away")
        self.writes.append([v.application_id for v in views])
        await super().save_views(views)

    async def insert_views(self, views: Sequence[StatusView]) -> list[str]:
        self.inserts.append([v.application_id for v in views])
        return await super().insert_views(views)


BATCH = [
    submitted("A"),
    submitted("B"),
    verdict("A"),
    submitted("A"),  # a redelivery
    decided("A", "rejected"),
    verdict("C"),
    submitted("C"),
    decided("C", "awaiting_notice"),
]


async def test_a_batch_reads_and_writes_each_view_once_and_ends_as_one_event_at_a_time() -> None:
    folded: Any = CountingStore()
    counts = StatusCounts(folded, gauge_every_s=0)
    await Projector(folded, counts).fold(BATCH)

    one_by_one: Any = FakeStore()
    for event in BATCH:
        await project(event, one_by_one)

    assert folded.reads == []  # each filed or judged, none kept: new, inserted unread
    assert folded.inserts == [["A", "B", "C"]]
    assert folded.writes == []
    assert folded.views == one_by_one.views
    await counts.flush()
    assert folded.counters == {"rejected": 1, "received": 1, "awaiting_notice": 1}


async def test_views_of_its_partitions_are_kept_in_memory_until_partitions_move() -> None:
    store: Any = CountingStore()
    projector = Projector(store)
    await projector.fold([verdict("A")])
    await projector.fold([decided("A", "rejected")])
    assert store.reads == []  # a verdict's view, inserted unread; then found in memory

    projector.forget_all()
    await projector.fold([submitted("A")])
    assert store.reads == [["A"]]  # its view not in memory: inserting it found it taken
    assert store.views["A"].status == "rejected"


async def test_a_repeated_batch_writes_nothing() -> None:
    store: Any = CountingStore()
    projector = Projector(store)
    await projector.fold(BATCH)
    await projector.fold(BATCH)
    assert store.writes == []
    assert store.inserts == [["A", "B", "C"]]


async def test_a_batch_that_fails_forgets_its_views_so_the_records_are_read_again() -> None:
    store: Any = CountingStore()
    projector = Projector(store)
    await projector.fold([submitted("A")])
    store.fail_writes = True
    with pytest.raises(OSError, match="went away"):
        await projector.fold([verdict("A")])
    store.fail_writes = False
    await projector.fold([verdict("A")])
    assert store.reads == [["A"]]  # filed: inserted unread; then read after the failed batch
    assert store.views["A"].status == "checking"


async def test_memory_keeps_only_the_most_recently_used_views() -> None:
    store: Any = CountingStore()
    projector = Projector(store, remember=2)
    await projector.fold([submitted("A"), submitted("B"), submitted("C")])
    await projector.fold([verdict("C"), verdict("A")])
    assert store.reads == [["A"]]  # A was the least recently used


async def test_views_kept_in_memory_fold_as_the_stored_ones_do() -> None:
    kept: Any = CountingStore()
    projector = Projector(kept)
    for event in BATCH:  # every batch after the first of an application finds its view in memory
        await projector.fold([event])

    one_by_one: Any = FakeStore()
    for event in BATCH:
        await project(event, one_by_one)

    assert kept.reads == []  # each inserted unread by its first event (C's verdict came first)
    bare = lambda views: {k: v.without_findings() for k, v in views.items()}  # noqa: E731
    assert bare(kept.views) == bare(one_by_one.views)  # the same instants, whatever their zone
    assert kept.views["A"].status == "rejected"


async def test_a_filing_whose_view_is_stored_already_is_folded_into_the_stored_view() -> None:
    """A filing event redelivered, or one that comes after a verdict no longer in memory: the
    view it expected to insert is stored, so it is read and the event folded into it."""
    store: Any = CountingStore()
    await Projector(store).fold([verdict("A"), submitted("B")])  # A: a verdict before its filing
    await Projector(store).fold([submitted("B")])  # B: the same filing again, in a new process
    counts = StatusCounts(store, gauge_every_s=0)
    await Projector(store, counts).fold([submitted("A")])

    one_by_one: Any = FakeStore()
    for event in [verdict("A"), submitted("B"), submitted("B"), submitted("A")]:
        await project(event, one_by_one)

    assert store.inserts == [["A", "B"], ["B"], ["A"]]
    assert store.reads == [["B"], ["A"]]
    assert store.writes == [["A"]]  # the second B changed nothing
    assert store.views == one_by_one.views
    assert store.views["A"].applicant_uscc is not None  # filed, and its verdict kept
    assert store.views["A"].checks
    await counts.flush()
    assert store.counters == {}  # A stayed `checking`: no count moved


async def test_two_verdicts_of_one_check_in_a_batch_read_the_view_first() -> None:
    """Its view must end with the newer verdict's findings, stored or new: read, not presumed."""
    store: Any = CountingStore()
    again = inbound(
        "v-A-2",
        topics.COI_ASSESSED,
        {"application_id": "A", "applicant_uscc": "x", "outcome": "pass", "findings": []},
        T0 + timedelta(seconds=2),
    )
    await Projector(store).fold([verdict("A"), again])
    assert store.reads == [["A"]]
    assert store.inserts == []
    assert store.writes == [["A"]]


async def test_a_move_of_status_is_logged_with_its_records_ids_a_check_alone_only_at_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    projector = Projector(CountingStore())
    second_check = inbound(
        "w-A",
        topics.VERIFICATION_COMPLETED,
        {"application_id": "A", "applicant_uscc": "x", "outcome": "verified", "findings": []},
        T0 + timedelta(seconds=1),
    )
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        monkeypatch.setattr(read_model, "log", structlog.get_logger())  # not one cached before
        for event in (submitted("A"), verdict("A"), second_check, decided("A", "rejected")):
            await projector.fold([event])

    lines = [(r["log_level"], r["status"], r["event_id"]) for r in logs if r["event"] == "status_projected"]
    info = [line for line in lines if line[0] == "info"]
    assert info == [("info", "received", "s-A"), ("info", "checking", "v-A"), ("info", "rejected", "d-A")]
    assert all(line == ("debug", "checking", "w-A") for line in lines if line[0] != "info")
