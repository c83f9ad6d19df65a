"""A filing's outbox marker goes once its event is on Kafka: with `PublishedOutboxes`, the
markers of many filings go in one delete at the next flush, and a delete that failed is tried
again at the one after."""

from __future__ import annotations

import pytest
from intake.submission import PublishedOutboxes, Submissions
from vouchers_shared.application import Application
from vouchers_shared.auth import Principal
from vouchers_shared.clock import FixedClock
from vouchers_shared.program import load_program

from .support.intake_testkit import FILED_AT, FakePublisher, FakeStore, sample_application


def submissions(store: FakeStore, published: PublishedOutboxes | None) -> Submissions:
    clock = FixedClock(FILED_AT)
    return Submissions(store, FakePublisher(), clock, load_program(2026), published=published)  # type: ignore[arg-type]


async def file(filing: Submissions, n: int) -> str:
    application = Application.model_validate(sample_application())
    who = Principal(role="submitter", subject="filer", uscc=application.applicant.uscc)
    return (await filing.file(application, who, f"key-{n}")).application_id


async def test_markers_of_published_filings_go_together_at_the_next_flush() -> None:
    store = FakeStore()
    published = PublishedOutboxes(store)  # type: ignore[arg-type]
    filing = submissions(store, published)
    ids = [await file(filing, n) for n in range(3)]
    assert store.published == []  # nothing deleted per request

    await published.flush()
    assert store.marked_together == [ids]
    await published.flush()  # nothing left: no store call
    assert store.marked_together == [ids]


async def test_a_flush_that_failed_is_tried_again_with_the_markers_since() -> None:
    store = FakeStore()
    published = PublishedOutboxes(store)  # type: ignore[arg-type]
    filing = submissions(store, published)
    first = await file(filing, 1)
    store.fail_marking = True
    with pytest.raises(OSError, match="went away"):
        await published.flush()
    store.fail_marking = False
    second = await file(filing, 2)
    await published.flush()
    assert store.marked_together == [[first, second]]


async def test_without_it_each_filing_deletes_its_marker_at_once() -> None:
    store = FakeStore()
    application_id = await file(submissions(store, None), 1)
    assert store.published == [application_id]
    assert store.marked_together == []


async def test_an_outbox_the_relay_published_loses_its_marker_at_once() -> None:
    """The relay releases its claim right after publishing: a marker left for the next flush
    could be claimed by another relay and the event published twice."""
    store = FakeStore()
    published = PublishedOutboxes(store)  # type: ignore[arg-type]
    filing = submissions(store, published)
    await filing.publish_pending("SZV2026-RELAYED", [], relayed=True)
    assert store.published == ["SZV2026-RELAYED"]
    assert store.marked_together == []
