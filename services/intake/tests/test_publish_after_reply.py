"""With `AfterReply`, a filing is answered once it is stored and its event is published after the
answer; when as many publishes are under way as it allows, the request publishes itself. A
publish that fails after the answer leaves the outbox marker for the relay, as one in the
request does."""

from __future__ import annotations

import asyncio

from intake.submission import Submissions
from vouchers_shared import topics
from vouchers_shared.after_reply import AfterReply
from vouchers_shared.application import Application
from vouchers_shared.auth import Principal
from vouchers_shared.clock import FixedClock
from vouchers_shared.program import load_program

from .support.intake_testkit import FILED_AT, FakeStore, sample_application


class HeldPublisher:
    """A broker that acknowledges each record only once `ack` is set (or fails it)."""

    def __init__(self) -> None:
        self.ack = asyncio.Event()
        self.fail = False
        self.sent: list[str] = []
        self.acked: list[str] = []

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append(topic)
        await self.ack.wait()
        if self.fail:
            raise OSError("the broker went away")
        self.acked.append(topic)


def submissions(store: FakeStore, publisher: HeldPublisher, after_reply: AfterReply) -> Submissions:
    return Submissions(
        store,  # type: ignore[arg-type]
        publisher,  # type: ignore[arg-type]
        FixedClock(FILED_AT),
        load_program(2026),
        after_reply=after_reply,
    )


async def file(filing: Submissions, n: int) -> str:
    application = Application.model_validate(sample_application())
    who = Principal(role="submitter", subject="filer", uscc=application.applicant.uscc)
    return (await filing.file(application, who, f"key-{n}")).application_id


async def test_the_answer_comes_once_stored_and_the_event_follows() -> None:
    store, publisher, after = FakeStore(), HeldPublisher(), AfterReply()
    filing = submissions(store, publisher, after)

    application_id = await asyncio.wait_for(file(filing, 1), 5)  # the broker has not acknowledged

    assert application_id in store.applications
    assert publisher.acked == []
    assert store.published == []
    assert len(after.under_way()) == 1
    publisher.ack.set()
    await asyncio.wait_for(asyncio.gather(*after.under_way()), 5)
    assert publisher.acked == [topics.APPLICATIONS]
    assert store.published == [application_id]  # its marker goes once the event is on Kafka
    assert after.under_way() == []


async def test_with_as_many_publishes_under_way_the_request_publishes_itself() -> None:
    store, publisher, after = FakeStore(), HeldPublisher(), AfterReply(most=1)
    filing = submissions(store, publisher, after)
    first = await asyncio.wait_for(file(filing, 1), 5)

    second = asyncio.create_task(file(filing, 2))
    await asyncio.sleep(0.05)
    assert not second.done()  # it waits for its own acknowledgement
    assert len(publisher.sent) == 2
    assert len(after.under_way()) == 1

    publisher.ack.set()
    second_id = await asyncio.wait_for(second, 5)
    await asyncio.wait_for(asyncio.gather(*after.under_way()), 5)
    assert sorted(store.published) == sorted([first, second_id])


async def test_a_publish_that_fails_after_the_answer_leaves_the_marker_for_the_relay() -> None:
    store, publisher, after = FakeStore(), HeldPublisher(), AfterReply()
    filing = submissions(store, publisher, after)
    application_id = await asyncio.wait_for(file(filing, 1), 5)
    publisher.fail = True
    publisher.ack.set()
    await asyncio.wait_for(asyncio.gather(*after.under_way()), 5)  # the task ends without an error
    assert store.published == []  # the marker stays: the relay publishes it once due
    assert store.applications[application_id]["outbox"]
