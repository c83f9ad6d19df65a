"""The status counters behind the `vouchers_applications` gauge, on the real store: they equal a
count of the whole read model after the projector's changes, and replicas adding at the same
time lose none of each other's numbers (FerretDB reads, then writes, an update). Each test works
in a database of its own, out of reach of the running services."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from intake.adapters.mongo_store import IntakeStore
from intake.read_model import project
from intake.status_counts import StatusCounts
from pymongo import AsyncMongoClient
from vouchers_shared import topics
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect

from tests.support.infra import Infra

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
T0 = datetime.fromisoformat("2026-05-20T10:00:00+08:00")


@pytest.fixture
async def clients(infra: Infra) -> AsyncIterator[list[AsyncMongoClient[Document]]]:
    """Two clients, as two replicas of intake have."""
    made = [connect(CommonSettings(mongodb_url=infra.mongodb_url), f"status-count-test-{i}") for i in (1, 2)]
    try:
        yield made
    finally:
        for client in made:
            await client.close()


@pytest.fixture
async def database(clients: list[AsyncMongoClient[Document]]) -> AsyncIterator[str]:
    name = f"test_status_counts_{uuid.uuid4().hex[:10]}"
    yield name
    await clients[0].drop_database(name)


def event(app_id: str, type_: str, body: dict[str, Any], at: datetime, event_id: str) -> Inbound:
    envelope = Envelope.new(type_, "test", app_id, id_=event_id, time=at)
    payload = json.dumps({"application_id": app_id, "applicant_uscc": "91440305MA0000001W", **body})
    return Inbound("t", 0, 0, None, envelope.headers(), payload.encode(), envelope)


def history(app_id: str, final: str | None) -> list[Inbound]:
    submitted = event(
        app_id,
        topics.APPLICATION_SUBMITTED,
        {
            "submitted_at": T0.isoformat(),
            "application": {"program_year": 2026, "applicant": {"name": "甲"}, "project": {"title": "乙"}},
        },
        T0,
        f"s-{app_id}",
    )
    out = [
        submitted,
        event(
            app_id,
            topics.COI_ASSESSED,
            {"outcome": "pass", "findings": []},
            T0 + timedelta(seconds=1),
            f"c-{app_id}",
        ),
        submitted,
    ]
    if final is not None:
        out.append(
            event(app_id, topics.CASE_DECIDED, {"status": final}, T0 + timedelta(seconds=2), f"d-{app_id}")
        )
    return out


async def test_the_counters_equal_a_count_of_the_read_model(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    store = IntakeStore(clients[0], database)
    early = [f"A{i}" for i in range(3)]
    for app_id in early:  # views from before the counters: the recount finds them
        for e in history(app_id, None)[:1]:
            await project(e, store)
    counts = StatusCounts(store, gauge_every_s=0)
    assert await counts.recount() == {"received": 3}
    finals = [None, "rejected", "awaiting_notice", "needs_review"]
    for i in range(12):
        for e in history(f"B{i}", finals[i % 4]):
            await project(e, store, counts)
    for app_id in early:
        for e in history(app_id, "rejected"):
            await project(e, store, counts)
    await counts.tick()
    counted = {s: n for s, n in (await store.status_counts()).items() if n}
    assert counted == await store.count_by_status()
    assert counted == {"checking": 3, "rejected": 6, "awaiting_notice": 3, "needs_review": 3}


async def test_replicas_adding_at_once_lose_none_of_each_others_numbers(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    replicas = [StatusCounts(IntakeStore(client, database)) for client in clients]
    await replicas[0].recount()
    rounds = 25

    async def replica(counts: StatusCounts, status: str) -> None:
        for _ in range(rounds):
            counts.moved(None, status)
            counts.moved(None, "received")
            await counts.flush()

    await asyncio.gather(replica(replicas[0], "checking"), replica(replicas[1], "rejected"))
    assert await IntakeStore(clients[0], database).status_counts() == {
        "received": 2 * rounds,
        "checking": rounds,
        "rejected": rounds,
    }
