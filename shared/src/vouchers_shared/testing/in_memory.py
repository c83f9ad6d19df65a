"""A service's subscribers running in this process: FastStream's TestKafkaBroker in place of Kafka,
a document store in memory, and the service's own app, broker, start hook and record processor.

    async with running_in_memory(create_app(Settings(vouchers_token_key=KEY))) as service:
        await service.send(event)                      # as another service would publish it
        service.published_to(topics.COI)               # what the service published

An event the service publishes reaches its own subscribers of that topic too, as on Kafka.
Nothing connects: what the lifespan would start (Kafka topics, the store client, the lag
watcher) is left out, and the periodic jobs of the start hook run against the memory store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic import BaseModel

from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.clock import ProgramClock
from vouchers_shared.events import ApplicationSubmitted
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.publisher import KafkaPublisher, Outgoing
from vouchers_shared.refdata import ITEM_LISTS, Snapshot
from vouchers_shared.runtime import Runtime, Wiring
from vouchers_shared.testing.memory_mongo import MemoryMongo


@dataclass(frozen=True)
class Published:
    topic: str
    key: str | None
    headers: dict[str, str]
    body: bytes

    @property
    def type(self) -> str | None:
        return self.headers.get("ce_type")

    def json(self) -> Any:
        return json.loads(self.body)


class RecordingPublisher(KafkaPublisher):
    """Publishes through the broker and keeps what it published."""

    def __init__(self, broker: KafkaBroker) -> None:
        super().__init__(broker)
        self.published: list[Published] = []

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.published.append(Published(topic, key, dict(headers), body))
        await super().publish_raw(topic, key, body, headers)


@dataclass
class InMemoryService:
    runtime: Runtime
    mongo: MemoryMongo
    recorder: RecordingPublisher
    others: KafkaPublisher = field(init=False)

    def __post_init__(self) -> None:
        self.others = KafkaPublisher(self.runtime.broker)

    async def send(self, event: Outgoing) -> None:
        """Publish `event` as another service would: this service's subscribers get it."""
        await self.others.publish(event)

    async def send_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        await self.others.publish_raw(topic, key, body, headers)

    @property
    def published(self) -> list[Published]:
        """What the service published, dead letters included, in order."""
        return list(self.recorder.published)

    def published_to(self, topic: str) -> list[Published]:
        return [p for p in self.recorder.published if p.topic == topic]


@asynccontextmanager
async def running_in_memory(app: FastAPI, mongo: MemoryMongo | None = None) -> AsyncIterator[InMemoryService]:
    """Start `app`'s subscribers on TestKafkaBroker and its start hook on a memory store."""
    wiring: Wiring = app.state.wiring
    broker: KafkaBroker = app.state.broker
    store = mongo or MemoryMongo()
    async with TestKafkaBroker(broker):
        recorder = RecordingPublisher(broker)
        runtime = Runtime(
            wiring.name,
            wiring.settings,
            broker,
            store.as_client(),
            recorder,
            RecordProcessor(recorder, wiring.name),
            ProgramClock.from_setting(wiring.settings.voucher_clock),
        )
        wiring.adopt(runtime)
        await wiring.on_start(runtime)
        try:
            yield InMemoryService(runtime, store, recorder)
        finally:
            await runtime.drain(1.0)


def event(
    topic: str,
    event_type: str,
    source: str,
    payload: BaseModel,
    *,
    key: str,
    subject: str,
    at: datetime,
    event_id: str | None = None,
) -> Outgoing:
    """An event as the suite's producers publish it: CloudEvents headers, keyed by USCC."""
    return Outgoing(
        topic=topic,
        key=key,
        payload=payload,
        correlation_id=subject,
        envelope=Envelope.new(event_type, source, subject, id_=event_id, time=at),
    )


def application_submitted(application: Application, application_id: str, at: datetime) -> Outgoing:
    """`application.submitted` as intake publishes it."""
    payload = ApplicationSubmitted(
        application_id=application_id,
        applicant_uscc=application.applicant.uscc,
        submitted_at=at,
        application=application,
    )
    return event(
        topics.APPLICATIONS,
        topics.APPLICATION_SUBMITTED,
        "/vouchers/intake",
        payload,
        key=application.applicant.uscc,
        subject=application_id,
        at=at,
        event_id=f"{application_id}/submitted",
    )


def refdata_loaded(kind: str, items: list[Any], at: datetime) -> Outgoing:
    """A reference-data snapshot as intake publishes a load, on the kind's compacted topic."""
    canonical = [item.model_dump(mode="json") for item in ITEM_LISTS[kind].validate_python(items)]
    version = f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-memory"
    snapshot = Snapshot(kind=kind, version=version, loaded_at=at, loaded_by="test", items=canonical)
    return event(
        topics.refdata_topic(kind),
        topics.REFDATA_LOADED,
        "/vouchers/refdata",
        snapshot,
        key=kind,
        subject=kind,
        at=at,
        event_id=f"refdata/{kind}/{version}",
    )
