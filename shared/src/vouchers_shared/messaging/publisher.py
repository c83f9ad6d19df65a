"""Publishing events as CloudEvents on Kafka, keyed by applicant USCC."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from vouchers_shared.messaging.envelope import Envelope


@dataclass(frozen=True)
class Outgoing:
    """An event ready to publish: where, under which key, with which attributes."""

    topic: str
    key: str
    envelope: Envelope
    payload: BaseModel | dict[str, object] | str
    correlation_id: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        if isinstance(self.payload, BaseModel):
            return self.payload.model_dump_json().encode()
        if isinstance(self.payload, str):
            return self.payload.encode()
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":")).encode()

    def headers(self) -> dict[str, str]:
        return {**self.envelope.headers(self.correlation_id), **self.extra_headers}

    def to_document(self) -> dict[str, Any]:
        """A storable form, for outboxes kept inside aggregate documents."""
        return {
            "topic": self.topic,
            "key": self.key,
            "headers": self.headers(),
            "body": self.body().decode(),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Outgoing:
        """The event exactly as stored by `to_document` (same id, same body)."""
        headers: dict[str, str] = dict(doc["headers"])
        return cls(
            topic=doc["topic"],
            key=doc["key"],
            envelope=Envelope.from_headers(headers),
            payload=str(doc["body"]),
            correlation_id=headers.get("correlation_id"),
        )


class Publisher(Protocol):
    async def publish(self, event: Outgoing) -> None: ...

    async def publish_raw(
        self, topic: str, key: str | None, body: bytes, headers: dict[str, str]
    ) -> None: ...


class KafkaPublisher:
    """Publishes through the service's broker and waits for the broker's acknowledgement."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(self, event: Outgoing) -> None:
        await self.publish_raw(event.topic, event.key, event.body(), event.headers())

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        await self._broker.publish(
            body,
            topic,
            key=key.encode() if key is not None else None,
            headers=headers,
            correlation_id=headers.get("correlation_id"),
        )
