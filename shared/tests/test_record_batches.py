"""A batch of records: one applicant's in order, applicants side by side; store-busy trouble that
passes is retried in place, nothing parked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from pymongo.errors import OperationFailure
from vouchers_shared.errors import TransientError
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.retry import RetryPolicy, is_transient

from .test_record_processor import FakePublisher, Record

APPLICANT_A, APPLICANT_B = b"91440300MA5G0ABCD5", b"91440300MA5H123457"


def record(key: bytes, offset: int, partition: int = 0) -> Record:
    headers = Envelope.new("application.submitted", "/test", f"A{offset}", id_=f"evt-{offset}").headers()
    return Record(
        b"{}", [(k, v.encode()) for k, v in headers.items()], partition=partition, offset=offset, key=key
    )


async def test_one_applicants_records_run_in_order_and_applicants_side_by_side() -> None:
    started: list[str] = []
    finished: list[str] = []
    both_started = asyncio.Event()

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        started.append(inbound.envelope.id)
        if {"evt-1", "evt-2"} <= set(started):
            both_started.set()
        # The first record of each applicant waits until the other applicant's has started:
        # this only ends if the two applicants run at the same time.
        if inbound.envelope.id in ("evt-1", "evt-2"):
            await asyncio.wait_for(both_started.wait(), 2)
        finished.append(inbound.envelope.id)
        return ()

    batch = [record(APPLICANT_A, 1), record(APPLICANT_B, 2), record(APPLICANT_A, 3), record(APPLICANT_A, 4)]
    await RecordProcessor(FakePublisher(), "test").process_batch(batch, handler)

    assert [e for e in finished if e in ("evt-1", "evt-3", "evt-4")] == ["evt-1", "evt-3", "evt-4"]
    assert started.index("evt-3") > finished.index("evt-1")  # one applicant: one at a time
    assert sorted(finished) == ["evt-1", "evt-2", "evt-3", "evt-4"]


async def test_a_record_to_retry_rewinds_its_partition_to_it_and_stops_its_applicant() -> None:
    handled: list[str] = []

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        if inbound.envelope.id == "evt-1":
            raise TransientError("the store is away")
        handled.append(inbound.envelope.id)
        return ()

    processor = RecordProcessor(FakePublisher(), "test", RetryPolicy(in_place_s=0.3))
    batch = [
        record(APPLICANT_A, 1),
        record(APPLICANT_B, 2),
        record(APPLICANT_A, 3),
        record(APPLICANT_B, 4, partition=1),
    ]
    (rewind,) = await processor.process_batch(batch, handler)
    # B's records were handled; A's second record waits for its first to succeed.
    assert handled == ["evt-2", "evt-4"]
    assert (rewind.partition, rewind.offset) == (0, 1)


async def test_a_busy_store_is_retried_in_place_and_nothing_is_parked() -> None:
    publisher = FakePublisher()
    calls = 0

    async def handler(inbound: Inbound) -> Sequence[Outgoing]:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise OperationFailure("[collection.go:191] database is locked (5) (SQLITE_BUSY)", code=1)
        return ()

    await RecordProcessor(publisher, "test").process(record(APPLICANT_A, 7), handler)
    assert calls == 3
    assert publisher.sent == []


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (OperationFailure("database is locked (5) (SQLITE_BUSY)", code=1), True),
        (OperationFailure("not primary", code=10107), True),
        (
            OperationFailure(
                "write conflict", code=112, details={"errorLabels": ["TransientTransactionError"]}
            ),
            True,
        ),
        (OperationFailure("E11000 duplicate key", code=11000), False),
        (OperationFailure("unknown operator: $foo", code=2), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_store_errors_are_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
