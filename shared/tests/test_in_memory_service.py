"""A service built with service_app and consume runs in memory: a record published to its topic
reaches the handler through the record processor, what the handler returns is published and
reaches the subscribers of its topic, and a record that can never be handled is parked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel
from vouchers_shared.errors import PermanentError
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.runtime import Runtime, service_app
from vouchers_shared.settings import CommonSettings
from vouchers_shared.testing.in_memory import event, running_in_memory
from vouchers_shared.testing.memory_mongo import MemoryMongo

AT = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
KEY = "91440305MA5K00010T"


class Note(BaseModel):
    text: str


def note(topic: str, text: str) -> Outgoing:
    return event(topic, "note.written", "/test", Note(text=text), key=KEY, subject="APP-1", at=AT)


async def test_records_go_through_the_processor_to_the_handler_and_onwards() -> None:
    settings = CommonSettings()
    broker = build_broker(settings, "relay")
    seen: list[tuple[str, str]] = []
    started: list[str] = []

    async def on_start(runtime: Runtime) -> None:
        started.append(runtime.name)
        await runtime.mongo["relay"]["notes"].insert_one({"_id": "started"})

    async def forward(inbound: Inbound) -> Sequence[Outgoing]:
        text = inbound.parse(Note).text
        seen.append((inbound.topic, text))
        if text == "poison":
            raise PermanentError("never")
        return [note("notes.out", text.upper())] if inbound.topic == "notes.in" else []

    app, runtime = service_app("relay", settings, broker, on_start=on_start, title="relay")
    consume(
        broker,
        "notes.in",
        "notes.out",
        group_id="relay",
        processor=lambda: runtime().processor,
        handler=lambda: forward,
        title="relay",
        description="relay",
    )
    mongo = MemoryMongo()
    records_before = _batch_records("sum")
    async with running_in_memory(app, mongo) as service:
        assert started == ["relay"]
        await service.send(note("notes.in", "hello"))
        await service.send(note("notes.in", "poison"))
    assert seen == [("notes.in", "hello"), ("notes.out", "HELLO"), ("notes.in", "poison")]
    assert [(p.topic, p.key) for p in service.published] == [("notes.out", KEY), ("notes.in.dlq", KEY)]
    assert service.published[1].headers["dlq_error"] == "never"
    assert "started" in mongo["relay"]["notes"].docs
    assert _batch_records("sum") - records_before == 3  # every record handled was in a batch counted


def _batch_records(part: str) -> float:
    return REGISTRY.get_sample_value(f"vouchers_batch_records_{part}", {"group": "relay"}) or 0.0


@pytest.mark.parametrize(("most", "behind"), [(2, False), (1, True)])
async def test_a_full_batch_tells_the_process_its_consumers_are_behind(most: int, behind: bool) -> None:
    async def nothing(inbound: Inbound) -> Sequence[Outgoing]:
        return []

    async def on_start(runtime: Runtime) -> None:
        pass

    settings = CommonSettings()
    broker = build_broker(settings, "relay")
    app, runtime = service_app("relay", settings, broker, on_start=on_start, title="relay")
    consume(
        broker,
        "notes.in",
        group_id="relay",
        processor=lambda: runtime().processor,
        handler=lambda: nothing,
        title="relay",
        description="relay",
        max_poll_records=most,
    )
    async with running_in_memory(app, MemoryMongo()) as service:
        assert not runtime().processor.backlog.behind()
        await service.send(note("notes.in", "hello"))  # a batch of one
        assert runtime().processor.backlog.behind() is behind
