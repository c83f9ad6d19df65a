"""An incoming Kafka record with its CloudEvents attributes, parsed defensively."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from vouchers_shared.errors import PoisonMessage
from vouchers_shared.events import tolerant
from vouchers_shared.messaging.envelope import Envelope

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 4 * 1024 * 1024
REFDATA_PREFIX = "vouchers.refdata."


def log_context(topic: str, headers: dict[str, str]) -> AbstractContextManager[Any]:
    """Log lines written inside name the record's application, event and correlation."""
    return structlog.contextvars.bound_contextvars(
        application_id=None if topic.startswith(REFDATA_PREFIX) else headers.get("ce_subject"),
        event_id=headers.get("ce_id"),
        correlation_id=headers.get("correlation_id"),
    )


@dataclass(frozen=True)
class Inbound:
    topic: str
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str]
    body: bytes
    envelope: Envelope

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get("correlation_id")

    def log_context(self) -> AbstractContextManager[Any]:
        return log_context(self.topic, self.headers)

    def json(self) -> Any:
        if len(self.body) > MAX_BODY_BYTES:
            raise PoisonMessage(f"body of {len(self.body)} bytes is over {MAX_BODY_BYTES}")
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PoisonMessage(f"body is not JSON: {exc}") from exc

    def parse(self, model: type[M]) -> M:
        """The body validated as `model`, unknown fields ignored at every level (a newer
        producer's); a body that does not match is poison."""
        data = self.json()
        try:
            return tolerant(model, data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
            )
            raise PoisonMessage(f"{self.envelope.type} does not match its schema: {problems}") from exc


def decode_headers(raw: Any) -> dict[str, str]:
    """Kafka headers as text; undecodable values are kept as their repr for the DLQ."""
    out: dict[str, str] = {}
    for name, value in raw or ():
        if isinstance(value, bytes):
            try:
                out[name] = value.decode()
            except UnicodeDecodeError:
                out[name] = repr(value)
        else:
            out[name] = str(value)
    return out
