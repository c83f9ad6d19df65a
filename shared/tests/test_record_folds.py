"""A folding handler takes the batch whole; a batch it cannot finish goes record by record, with
the retries and parking of one record, and nothing is lost or published twice by the fold."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from vouchers_shared.errors import PoisonMessage
from vouchers_shared.messaging.consumer import RecordProcessor, publish_all
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.retry import RetryPolicy

from .test_record_batches import APPLICANT_A, APPLICANT_B, record
from .test_record_processor import FakePublisher


def answer(inbound: Inbound, topic: str = "vouchers.out.v1") -> Outgoing:
    return Outgoing(
        topic=topic,
        key=inbound.key or "",
        envelope=Envelope.new("out", "/test", "A", id_=f"out-{inbound.envelope.id}"),
        payload={"of": inbound.envelope.id},
    )


async def test_a_fold_takes_the_whole_batch_in_one_call_and_its_events_are_published() -> None:
    publisher = FakePublisher()
    calls: list[list[str]] = []

    async def fold(batch: Sequence[Inbound]) -> Sequence[Outgoing]:
        calls.append([i.envelope.id for i in batch])
        return [answer(i) for i in batch]

    async def one(inbound: Inbound) -> Sequence[Outgoing]:
        raise AssertionError("the record handler is not used when the fold succeeds")

    batch = [record(APPLICANT_A, 1), record(APPLICANT_B, 2), record(APPLICANT_A, 3)]
    rewinds = await RecordProcessor(publisher, "test").process_batch(batch, one, fold, "g")

    assert rewinds == []
    assert calls == [["evt-1", "evt-2", "evt-3"]]
    assert sorted(h["ce_id"] for *_, h in publisher.sent) == ["out-evt-1", "out-evt-2", "out-evt-3"]


async def test_a_failed_fold_hands_the_batch_to_the_record_handler_which_parks_the_poison() -> None:
    publisher = FakePublisher()
    handled: list[str] = []

    async def fold(batch: Sequence[Inbound]) -> Sequence[Outgoing]:
        raise PoisonMessage("one record of the batch is bad")

    async def one(inbound: Inbound) -> Sequence[Outgoing]:
        if inbound.envelope.id == "evt-2":
            raise PoisonMessage("this one")
        handled.append(inbound.envelope.id)
        return [answer(inbound)]

    batch = [record(APPLICANT_A, 1), record(APPLICANT_B, 2), record(APPLICANT_A, 3)]
    processor = RecordProcessor(publisher, "test", RetryPolicy(in_place_s=0.1))
    assert await processor.process_batch(batch, one, fold, "g") == []

    assert handled == ["evt-1", "evt-3"]
    topics = sorted(topic for topic, *_ in publisher.sent)
    assert topics == ["vouchers.applications.v1.dlq", "vouchers.out.v1", "vouchers.out.v1"]


async def test_a_batch_holding_a_record_that_failed_before_goes_record_by_record() -> None:
    folds = 0
    fail = True

    async def fold(batch: Sequence[Inbound]) -> Sequence[Outgoing]:
        nonlocal folds
        folds += 1
        return ()

    async def one(inbound: Inbound) -> Sequence[Outgoing]:
        if fail and inbound.envelope.id == "evt-1":
            raise RuntimeError("not yet")
        return ()

    async def failing_fold(batch: Sequence[Inbound]) -> Sequence[Outgoing]:
        raise RuntimeError("not yet")

    processor = RecordProcessor(FakePublisher(), "test", RetryPolicy(in_place_s=0.0))
    batch = [record(APPLICANT_A, 1), record(APPLICANT_B, 2)]
    (rewind,) = await processor.process_batch(batch, one, failing_fold, "g")
    assert rewind.offset == 1

    fail = False
    again = [record(APPLICANT_A, 1), record(APPLICANT_B, 2)]  # evt-2 was settled: skipped
    assert await processor.process_batch(again, one, fold, "g") == []
    assert folds == 0  # evt-1 failed before: it is tried on its own, not folded

    later = [record(APPLICANT_A, 3), record(APPLICANT_B, 4)]
    assert await processor.process_batch(later, one, fold, "g") == []
    assert folds == 1


async def test_events_of_one_key_on_one_topic_are_published_in_their_order() -> None:
    sent: list[str] = []

    class Slow(FakePublisher):
        async def publish(self, event: Outgoing) -> None:
            if event.envelope.id == "e1":
                for _ in range(5):  # the first event is the slowest to be taken
                    await asyncio.sleep(0)
            sent.append(event.envelope.id)

    def event(n: int, key: str) -> Outgoing:
        return Outgoing("vouchers.out.v1", key, Envelope.new("out", "/test", "A", id_=f"e{n}"), {})

    await publish_all(Slow(), [event(1, "A"), event(2, "B"), event(3, "A"), event(4, "A")])
    assert [e for e in sent if e != "e2"] == ["e1", "e3", "e4"]
    assert sent.index("e2") < sent.index("e1")  # another key does not wait behind A's
