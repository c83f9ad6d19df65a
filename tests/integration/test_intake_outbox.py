"""The transactional outbox: an application stored but not published (the process stopped, or
the broker failed, between the two) is published by the relay, exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from intake.adapters.mongo_store import IntakeStore
from intake.relay import relay_once
from intake.submission import Submissions
from pymongo import AsyncMongoClient
from vouchers_shared import topics
from vouchers_shared.clock import FixedClock
from vouchers_shared.messaging.publisher import KafkaPublisher
from vouchers_shared.program import load_program

from tests.support.infra import Infra
from tests.support.intake import (
    InProcessIntake,
    applicant,
    headers_of,
    intake_db,
    records_about,
    running_intake,
    wait_until,
)
from tests.support.samples import application_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ORIGINAL_PUBLISH = KafkaPublisher.publish_raw


class StopBeforePublishing:
    """Stands in for the publisher: the first filing halts right where it would publish."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()

    async def __call__(self, publisher: KafkaPublisher, topic: str, *args: Any, **kwargs: Any) -> None:
        if topic == topics.APPLICATIONS:
            self.reached.set()
            await asyncio.Event().wait()  # never returns: the process stops here (and cancels it)
        await ORIGINAL_PUBLISH(publisher, topic, *args, **kwargs)


class FailOnce:
    """Stands in for the publisher: the first application event meets a broker error."""

    def __init__(self) -> None:
        self.failed = 0

    async def __call__(self, publisher: KafkaPublisher, topic: str, *args: Any, **kwargs: Any) -> None:
        if topic == topics.APPLICATIONS and not self.failed:
            self.failed += 1
            raise KafkaConnectionError("broker away")
        await ORIGINAL_PUBLISH(publisher, topic, *args, **kwargs)


@pytest.fixture
def patch_publisher(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    with monkeypatch.context() as patching:
        yield patching


def stand_in(patching: pytest.MonkeyPatch, publish: StopBeforePublishing | FailOnce) -> None:
    """Every KafkaPublisher of this process publishes through `publish`."""

    async def publish_raw(
        self: KafkaPublisher, topic: str, key: str | None, body: bytes, headers: dict[str, str]
    ) -> None:
        await publish(self, topic, key, body, headers)

    patching.setattr(KafkaPublisher, "publish_raw", publish_raw)


async def unpublished(infra: Infra, application_id: str) -> bool:
    """Whether the application's outbox still waits to be published (its marker is there)."""
    async with intake_db(infra) as db:
        return await db["outbox_markers"].find_one({"_id": application_id}) is not None


async def test_a_stop_between_store_and_publish_is_healed_by_the_relay_exactly_once(
    infra: Infra, patch_publisher: pytest.MonkeyPatch
) -> None:
    uscc = applicant(40)
    halt = StopBeforePublishing()
    stand_in(patch_publisher, halt)

    # The first process stores the application, answers, and stops before its publish after
    # the answer is done (the stop cancels it past the graceful timeout); its relay would only
    # look again in an hour.
    async with (
        running_intake(
            infra, outbox_relay_grace_s=4.0, outbox_relay_interval_s=3600.0, graceful_timeout_s=0.5
        ) as first,
        first.client("submitter", uscc) as client,
    ):
        response = await client.post("/v1/applications", json=application_for(uscc))
        assert response.status_code == 202, response.text
        await asyncio.wait_for(halt.reached.wait(), timeout=60)
        async with intake_db(infra) as db:
            [stored] = [d async for d in db["applications"].find({"applicant_uscc": uscc})]
        assert stored["_id"] == response.json()["application_id"]
    application_id = stored["_id"]
    assert await unpublished(infra, application_id)
    assert await records_about(infra, topics.APPLICATIONS, subject=application_id) == []
    patch_publisher.undo()

    # The next process's relay publishes it once it is due.
    async with running_intake(infra, outbox_relay_interval_s=0.2):

        async def published() -> bool:
            return not await unpublished(infra, application_id)

        await wait_until("the relay to publish the stored application", published)

    records = await records_about(infra, topics.APPLICATIONS, subject=application_id)
    assert len(records) == 1
    assert records[0].key == uscc.encode()
    assert headers_of(records[0])["ce_type"] == "application.submitted"


async def test_a_broker_error_on_filing_is_still_a_202_and_the_relay_publishes_once(
    infra: Infra, patch_publisher: pytest.MonkeyPatch
) -> None:
    uscc = applicant(41)
    fail_once = FailOnce()
    stand_in(patch_publisher, fail_once)

    async with running_intake(infra, outbox_relay_grace_s=3.0, outbox_relay_interval_s=0.2) as intake:
        async with intake.client("submitter", uscc) as client:
            response = await client.post("/v1/applications", json=application_for(uscc))
        assert response.status_code == 202, response.text
        application_id = response.json()["application_id"]

        async def failed() -> bool:  # published after the answer
            return fail_once.failed == 1

        await wait_until("the publish after the answer to meet the broker error", failed)
        async with intake_db(infra) as db:
            assert await db["applications"].find_one({"_id": application_id}) is not None

        async def published() -> bool:
            return not await unpublished(infra, application_id)

        await wait_until("the relay to publish the application", published)

    records = await records_about(infra, topics.APPLICATIONS, subject=application_id)
    assert len(records) == 1
    assert len(await records_about(infra, topics.APPLICATIONS, key=uscc)) == 1


async def halt_filings(intake: InProcessIntake, halt: StopBeforePublishing, usccs: list[str]) -> None:
    """File one application per applicant, each answered and then stopped where it would publish."""
    for uscc in usccs:
        halt.reached.clear()
        async with intake.client("submitter", uscc) as client:
            response = await client.post("/v1/applications", json=application_for(uscc))
            assert response.status_code == 202, response.text
            await asyncio.wait_for(halt.reached.wait(), timeout=60)


async def test_two_relays_never_publish_one_outbox_twice(
    infra: Infra, patch_publisher: pytest.MonkeyPatch
) -> None:
    usccs = [applicant(serial) for serial in range(42, 48)]
    halt = StopBeforePublishing()
    stand_in(patch_publisher, halt)
    async with running_intake(
        infra, outbox_relay_grace_s=1.0, outbox_relay_interval_s=3600.0, graceful_timeout_s=0.5
    ) as first:
        await halt_filings(first, halt, usccs)
    patch_publisher.undo()
    async with intake_db(infra) as db:
        ids = [d["_id"] async for d in db["applications"].find({"applicant_uscc": {"$in": usccs}})]
    assert len(ids) == len(usccs)

    # Two replicas, each relaying every 50 ms, race for the same six outboxes.
    async with (
        running_intake(infra, outbox_relay_interval_s=0.05),
        running_intake(infra, outbox_relay_interval_s=0.05),
    ):

        async def all_published() -> bool:
            async with intake_db(infra) as db:
                left = await db["outbox_markers"].count_documents({"_id": {"$in": ids}})
            return bool(left == 0)

        await wait_until("both relays to publish the stored applications", all_published)

    subjects = [headers_of(r).get("ce_subject", "") for r in await records_about(infra, topics.APPLICATIONS)]
    assert sorted(s for s in subjects if s in ids) == sorted(ids)


class Captured:
    """A publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def publish(self, event: Any) -> None:
        raise AssertionError("the relay publishes stored events as they are")

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append(headers["ce_subject"])


async def test_a_claim_left_by_a_stopped_relay_is_taken_over_once_its_lease_ran_out(
    infra: Infra,
) -> None:
    now = datetime.now(UTC)
    uscc = applicant(48)
    database = f"test_intake_relay_{uuid.uuid4().hex[:8]}"  # out of reach of the running relays
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    try:
        store = IntakeStore(client, database)
        for application_id in ("stale", "live", "free"):
            outbox = {
                "topic": topics.APPLICATIONS,
                "key": uscc,
                "body": "{}",
                "headers": {"ce_subject": application_id},
            }
            assert await store.insert_application(
                {
                    "_id": application_id,
                    "applicant_uscc": uscc,
                    "submitted_at": now,
                    "outbox": [outbox],
                    "outbox_due_at": now - timedelta(minutes=5),
                }
            )
        await store.relay_claims.insert_one({"_id": "stale", "until": now - timedelta(seconds=1)})
        await store.relay_claims.insert_one({"_id": "live", "until": now + timedelta(minutes=5)})
        publisher = Captured()
        submissions = Submissions(store, publisher, FixedClock(now), load_program("2026"))

        relayed = await relay_once(store, submissions, timedelta(seconds=30))

        assert relayed == 2
        assert sorted(publisher.sent) == ["free", "stale"]
        assert [await pending(store, a) for a in ("stale", "live", "free")] == [False, True, False]
        assert [c["_id"] async for c in store.relay_claims.find()] == ["live"]
        assert [m["_id"] async for m in store.outbox_markers.find()] == ["live"]
        assert await relay_once(store, submissions, timedelta(seconds=30)) == 0
    finally:
        await client.drop_database(database)
        await client.close()


async def pending(store: IntakeStore, application_id: str) -> bool:
    assert await store.application(application_id) is not None
    return await store.outbox_markers.find_one({"_id": application_id}) is not None
