"""A record that keeps failing cannot stall its partition: bounded retries with jittered backoff,
then one dead letter; only its partition is rewound, and an outage parks nothing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaTimeoutError
from pymongo.errors import AutoReconnect, OperationFailure
from vouchers_shared.errors import PoisonMessage, TransientError
from vouchers_shared.messaging.consumer import RecordProcessor, Rewind
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.retry import FailureLog, InfrastructureProbe, RetryPolicy
from vouchers_shared.messaging.subscribe import hold_back

from .partition_log import TOPIC, PartitionLog, run_subscriber
from .test_record_processor import FakePublisher

QUICK = RetryPolicy(max_attempts=4, budget_s=60.0, backoff_first_s=0.01, backoff_max_s=0.04, in_place_s=0.02)


def dead_letters(publisher: FakePublisher) -> list[dict[str, str]]:
    return [headers for topic, _, _, headers in publisher.sent if topic == f"{TOPIC}.dlq"]


class Calls:
    """A handler that fails with `error` for the records of `failing_key` and counts calls."""

    def __init__(self, failing_key: str, error: Exception) -> None:
        self.failing_key, self.error = failing_key, error
        self.calls: Counter[str] = Counter()

    async def __call__(self, inbound: Inbound) -> Sequence[Outgoing]:
        self.calls[inbound.envelope.id] += 1
        if inbound.key == self.failing_key:
            raise self.error
        return ()


class Probe:
    def __init__(self, answering: bool) -> None:
        self.answering = answering

    async def __call__(self) -> bool:
        return self.answering


async def test_a_record_failing_transiently_forever_is_parked_once_after_the_attempt_bound() -> None:
    publisher = FakePublisher()
    handler = Calls("BAD", TransientError("ledger write refused"))
    log = PartitionLog.of({0: ["BAD", "A", "A"], 1: ["B", "C"]})

    await run_subscriber(RecordProcessor(publisher, "test", QUICK), handler, log)

    assert log.all_committed()
    (parked,) = dead_letters(publisher)
    assert handler.calls["BAD@0:0"] == QUICK.max_attempts
    assert parked["dlq_attempts"] == str(QUICK.max_attempts)
    assert parked["dlq_error_class"] == "TransientError"
    assert parked["dlq_error"] == "ledger write refused"
    assert parked["ce_id"] == "BAD@0:0"  # the original headers travel with it
    assert parked["dlq_id"] == f"test/{TOPIC}/0/0"


async def test_only_the_failing_partition_is_rewound_and_no_other_record_is_handled_twice() -> None:
    publisher = FakePublisher()
    handler = Calls("BAD", TransientError("ledger write refused"))
    log = PartitionLog.of({0: ["A", "BAD", "C", "BAD", "D"], 1: ["B", "E", "B"], 2: ["F"]})
    processor = RecordProcessor(publisher, "test", QUICK)

    await run_subscriber(processor, handler, log, batches=1)

    assert (log.committed_at(0), log.committed_at(1), log.committed_at(2)) == (1, 3, 1)
    assert log.paused == {next(tp for tp in log.records if tp.partition == 0)}
    await run_subscriber(processor, handler, log)
    assert log.all_committed()
    assert {e: n for e, n in handler.calls.items() if not e.startswith("BAD")} == {
        "A@0:0": 1,
        "C@0:2": 1,
        "D@0:4": 1,
        "B@1:0": 1,
        "E@1:1": 1,
        "B@1:2": 1,
        "F@2:0": 1,
    }
    assert [h["ce_id"] for h in dead_letters(publisher)] == ["BAD@0:1", "BAD@0:3"]


async def test_a_record_parked_before_its_partition_is_rewound_is_not_parked_again() -> None:
    publisher = FakePublisher()
    log = PartitionLog.of({0: ["SLOW", "POISON", "SLOW"]})
    failures = iter([TransientError("busy")] * 3)

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        if inbound.key == "POISON":
            raise PoisonMessage("no such event")
        if inbound.key == "SLOW" and (error := next(failures, None)) is not None:
            raise error
        return ()

    policy = RetryPolicy(max_attempts=10, backoff_first_s=0.01, backoff_max_s=0.02, in_place_s=0)
    await run_subscriber(RecordProcessor(publisher, "test", policy), handler, log)

    assert log.all_committed()
    assert log.batches > 1  # the poison record came again, with its partition
    assert [h["ce_id"] for h in dead_letters(publisher)] == ["POISON@0:1"]


@pytest.mark.parametrize(
    "error",
    [
        TransientError("always"),
        AutoReconnect("refused while the store answers pings"),
        OperationFailure("database is locked (5) (SQLITE_BUSY)", code=1),
        FileNotFoundError("an OSError from a bug"),
        KafkaTimeoutError(),
        KeyError("a bug"),
        PoisonMessage("not the schema"),
    ],
    ids=type,
)
async def test_whatever_a_handler_raises_the_record_ends_parked_once(error: Exception) -> None:
    publisher = FakePublisher()
    handler = Calls("BAD", error)
    log = PartitionLog.of({0: ["BAD", "A"], 1: ["B"]})
    probe = InfrastructureProbe(Probe(answering=True))

    await run_subscriber(RecordProcessor(publisher, "test", QUICK, probe), handler, log)

    assert log.all_committed()
    (parked,) = dead_letters(publisher)
    assert parked["dlq_error_class"] == type(error).__name__
    assert handler.calls["BAD@0:0"] == (1 if isinstance(error, PoisonMessage) else QUICK.max_attempts)


async def test_a_record_without_cloudevents_headers_or_whose_events_cannot_be_published_ends_parked() -> None:
    class RefusingPublisher(FakePublisher):
        async def publish(self, event: Outgoing) -> None:
            raise OperationFailure("a refusal of the store behind the outbox", code=2)

    publisher = RefusingPublisher()
    log = PartitionLog.of({0: ["A", "B"]})
    log.records[next(iter(log.records))][0].headers = [("something", b"else")]

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        return [Outgoing(TOPIC, "K", inbound.envelope, {})]

    await run_subscriber(RecordProcessor(publisher, "test", QUICK), handler, log)

    assert log.all_committed()
    assert [h["dlq_error_class"] for h in dead_letters(publisher)] == ["PoisonMessage", "OperationFailure"]


async def test_while_the_store_is_down_nothing_is_parked_and_only_its_partitions_wait() -> None:
    publisher = FakePublisher()
    handler = Calls("BAD", AutoReconnect("connection refused"))
    log = PartitionLog.of({0: ["BAD", "A"], 1: ["B", "C"]})
    probe = Probe(answering=False)
    processor = RecordProcessor(publisher, "test", QUICK, InfrastructureProbe(probe, ttl_s=0))

    await run_subscriber(processor, handler, log, for_s=0.5, until_committed=False)

    assert dead_letters(publisher) == []
    assert handler.calls["BAD@0:0"] > QUICK.max_attempts  # an outage is not counted...
    assert handler.calls["BAD@0:0"] <= 0.5 / (QUICK.backoff_max_s / 2) + 4  # ...nor a busy loop
    assert (log.committed_at(0), log.committed_at(1)) == (0, 2)

    probe.answering = True  # the store is back, and the record still fails: its own fault
    handler.calls.clear()
    await run_subscriber(processor, handler, log)
    assert log.all_committed()
    assert handler.calls["BAD@0:0"] == QUICK.max_attempts
    assert len(dead_letters(publisher)) == 1


async def test_a_record_is_parked_when_its_time_budget_is_spent_whatever_its_attempts() -> None:
    publisher = FakePublisher()
    handler = Calls("BAD", TransientError("slow to fail"))
    policy = RetryPolicy(
        max_attempts=1000, budget_s=0.15, backoff_first_s=0.02, backoff_max_s=0.04, in_place_s=0.05
    )
    log = PartitionLog.of({0: ["BAD", "A"]})

    await run_subscriber(RecordProcessor(publisher, "test", policy), handler, log, for_s=2.0)

    assert log.all_committed()
    (parked,) = dead_letters(publisher)
    assert 2 < handler.calls["BAD@0:0"] < 20
    assert parked["dlq_attempts"] == str(handler.calls["BAD@0:0"])


async def test_waiting_out_an_outage_does_not_spend_a_records_time_budget() -> None:
    probe = Probe(answering=True)
    failures = FailureLog(RetryPolicy(max_attempts=1000, budget_s=0.2), InfrastructureProbe(probe, ttl_s=0))
    position = (TOPIC, 0, 0)
    await failures.count(position, TransientError("refused"))
    probe.answering = False
    for _ in range(3):  # 0.3 s of outage
        await asyncio.sleep(0.1)
        _, outage = await failures.count(position, AutoReconnect("down"))
        assert outage
    probe.answering = True
    noted, outage = await failures.count(position, TransientError("refused"))
    assert (noted.attempts, noted.outages, outage, noted.park_due) == (2, 3, False, False)
    await asyncio.sleep(0.25)  # failing on its own past the budget
    noted, _ = await failures.count(position, TransientError("refused"))
    assert noted.park_due


async def test_the_infrastructure_is_asked_once_for_failures_that_arrive_together() -> None:
    asked = 0

    async def slow_no() -> bool:
        nonlocal asked
        asked += 1
        await asyncio.sleep(0.05)
        return False

    probe = InfrastructureProbe(slow_no, ttl_s=60)
    answers = await asyncio.gather(*(probe.answers() for _ in range(20)))
    assert await probe.answers() is False
    assert (asked, set(answers)) == (1, {False})


async def test_a_dead_letter_that_cannot_be_written_waits_and_is_written_once() -> None:
    class FlakyDeadLetters(FakePublisher):
        refusals = 3

        async def publish_raw(
            self, topic: str, key: str | None, body: bytes, headers: dict[str, str]
        ) -> None:
            if topic.endswith(".dlq") and self.refusals:
                self.refusals -= 1
                raise KafkaTimeoutError()
            await super().publish_raw(topic, key, body, headers)

    publisher = FlakyDeadLetters()
    handler = Calls("BAD", PoisonMessage("bad"))
    log = PartitionLog.of({0: ["BAD", "A"]})

    await run_subscriber(RecordProcessor(publisher, "test", QUICK), handler, log)

    assert log.all_committed()
    assert len(dead_letters(publisher)) == 1
    assert handler.calls["BAD@0:0"] == 1  # the handler is not run again to park it


async def test_a_partition_revoked_during_the_batch_is_left_to_its_new_owner() -> None:
    log = PartitionLog.of({0: ["A"]})
    log.poll()
    hold_back(log, [Rewind(TOPIC, 0, 0, 0.01, outage=False), Rewind(TOPIC, 5, 3, 0.01, outage=False)])
    assert (log.paused, log.position[TopicPartition(TOPIC, 0)]) == ({TopicPartition(TOPIC, 0)}, 0)
    await asyncio.sleep(0.05)
    assert log.paused == set()  # resumed when its wait was over


@pytest.mark.parametrize("failures", range(1, 12))
def test_backoff_waits_are_jittered_within_doubling_bounds(failures: int) -> None:
    policy = RetryPolicy(backoff_first_s=0.2, backoff_max_s=30.0)
    ceiling = min(30.0, 0.2 * 2 ** (failures - 1))

    def draws(seed: int) -> list[float]:
        random.seed(seed)
        return [policy.wait_s(failures) for _ in range(20)]

    first, again, other = draws(1), draws(1), draws(2)
    assert first == again  # the jitter is tenacity's, from `random`
    assert first != other
    assert len(set(first)) == len(first)
    assert all(ceiling / 2 <= wait <= ceiling for wait in first + other)
