"""What happens to one record: published results, retried failures, parked poison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo.errors import AutoReconnect
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.retry import InfrastructureProbe, RetryPolicy


@dataclass
class Record:
    value: bytes
    headers: list[tuple[str, bytes]]
    topic: str = "vouchers.applications.v1"
    partition: int = 3
    offset: int = 42
    key: bytes = b"91440305MA5K00010T"


@dataclass
class FakePublisher:
    sent: list[tuple[str, str | None, bytes, dict[str, str]]] = field(default_factory=list)

    async def publish(self, event: Outgoing) -> None:
        await self.publish_raw(event.topic, event.key, event.body(), event.headers())

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append((topic, key, body, headers))


def good_record(body: bytes = b'{"application_id": "A1"}') -> Record:
    headers = Envelope.new("application.submitted", "/test", "A1", id_="evt-1").headers()
    return Record(body, [(k, v.encode()) for k, v in headers.items()])


async def test_a_handled_record_publishes_what_the_handler_returns() -> None:
    publisher = FakePublisher()
    out = Outgoing(
        topic="vouchers.coi.v2",
        key="K",
        envelope=Envelope.new("coi.assessed", "/test", "A1", id_="evt-2"),
        payload={"x": 1},
    )

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        assert inbound.envelope.id == "evt-1"
        return [out]

    await RecordProcessor(publisher, "test").process(good_record(), handler)
    assert [(t, k) for t, k, _, _ in publisher.sent] == [("vouchers.coi.v2", "K")]
    assert publisher.sent[0][3]["ce_id"] == "evt-2"


async def test_a_record_without_cloudevents_headers_is_parked_with_the_reason() -> None:
    publisher = FakePublisher()

    async def handler(_inbound: Inbound) -> Sequence[Outgoing]:
        raise AssertionError("a poison record never reaches the handler")

    record = Record(b"{}", [("something", b"else")])
    await RecordProcessor(publisher, "test").process(record, handler)
    ((topic, key, body, headers),) = publisher.sent
    assert topic == "vouchers.applications.v1.dlq"
    assert key == "91440305MA5K00010T"
    assert body == b"{}"
    assert "ce_id" in headers["dlq_error"]
    assert headers["dlq_attempts"] == "1"
    assert headers["dlq_original_topic"] == "vouchers.applications.v1"
    assert headers["something"] == "else"


async def test_a_poison_body_is_parked_at_once() -> None:
    publisher = FakePublisher()

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        inbound.json()
        return ()

    await RecordProcessor(publisher, "test").process(good_record(b"{not json"), handler)
    assert publisher.sent[0][0].endswith(".dlq")
    assert publisher.sent[0][3]["dlq_error_class"] == PoisonMessage.__name__


async def test_a_failing_handler_is_retried_then_parked_after_the_attempt_budget() -> None:
    publisher = FakePublisher()
    calls = 0

    async def handler(_inbound: Inbound) -> Sequence[Outgoing]:
        nonlocal calls
        calls += 1
        raise KeyError("a bug")

    policy = RetryPolicy(max_attempts=3, backoff_first_s=0.001, in_place_s=1.0)
    assert await RecordProcessor(publisher, "test", policy).process(good_record(), handler) is None
    assert calls == 3
    assert publisher.sent[0][3]["dlq_attempts"] == "3"


async def test_a_store_that_comes_back_is_retried_in_place_without_parking() -> None:
    publisher = FakePublisher()
    failures = iter([AutoReconnect("down"), AutoReconnect("still down")])

    async def handler(_inbound: Inbound) -> Sequence[Outgoing]:
        error = next(failures, None)
        if error is not None:
            raise error
        return ()

    await RecordProcessor(publisher, "test").process(good_record(), handler)
    assert publisher.sent == []


async def test_a_store_that_stays_away_hands_the_record_back_to_wait_with_its_partition() -> None:
    publisher = FakePublisher()

    async def handler(_inbound: Inbound) -> Sequence[Outgoing]:
        raise AutoReconnect("down")

    async def store_down() -> bool:
        return False

    policy = RetryPolicy(backoff_first_s=0.1, in_place_s=0.3)
    processor = RecordProcessor(publisher, "test", policy, InfrastructureProbe(store_down))
    rewind = await processor.process(good_record(), handler)
    assert rewind is not None
    assert (rewind.topic, rewind.partition, rewind.offset, rewind.outage) == (
        "vouchers.applications.v1",
        3,
        42,
        True,
    )
    assert publisher.sent == []
