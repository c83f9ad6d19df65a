"""A standalone publisher on aiokafka, for tools that run without a service (CLI, replays)."""

from __future__ import annotations

from types import TracebackType

from aiokafka import AIOKafkaProducer

from vouchers_shared.messaging.kafka import MAX_MESSAGE_BYTES, admin_options
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.settings import CommonSettings


class StandalonePublisher:
    def __init__(self, settings: CommonSettings) -> None:
        self._producer = AIOKafkaProducer(
            **admin_options(settings),
            acks="all",
            enable_idempotence=True,
            max_request_size=MAX_MESSAGE_BYTES,
            compression_type="gzip",
        )

    async def __aenter__(self) -> StandalonePublisher:
        await self._producer.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._producer.stop()

    async def publish(self, event: Outgoing) -> None:
        await self.publish_raw(event.topic, event.key, event.body(), event.headers())

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        await self._producer.send_and_wait(
            topic,
            body,
            key=key.encode() if key is not None else None,
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
