"""CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, the JSON body as value."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from vouchers_shared.errors import PoisonMessage

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_specversion")
EVENT_NAMESPACE = uuid.UUID("7f1d3a0e-2c44-4d4e-9a57-3c8e0b6f2a11")


def derived_event_id(cause_id: str, purpose: str) -> str:
    """A deterministic id for an event caused by another: a redelivery re-emits the same id."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{cause_id}/{purpose}"))


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents attributes of one message."""

    id: str
    type: str
    source: str
    subject: str | None
    time: datetime

    def headers(self, correlation_id: str | None = None) -> dict[str, str]:
        headers = {
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_specversion": SPEC_VERSION,
            "ce_time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "content-type": CONTENT_TYPE,
        }
        if self.subject is not None:
            headers["ce_subject"] = self.subject
        if correlation_id:
            headers["correlation_id"] = correlation_id
        return headers

    @classmethod
    def new(
        cls,
        type_: str,
        source: str,
        subject: str | None,
        *,
        id_: str | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        return cls(
            id=id_ or str(uuid.uuid4()),
            type=type_,
            source=source,
            subject=subject,
            time=time or datetime.now(UTC),
        )

    @classmethod
    def from_headers(cls, headers: Mapping[str, str | bytes]) -> Envelope:
        """Read the attributes back; a message without them can never be processed."""
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
        missing = [name for name in REQUIRED if not text.get(name)]
        if missing:
            raise PoisonMessage(f"missing CloudEvents headers: {', '.join(missing)}")
        if text["ce_specversion"] != SPEC_VERSION:
            raise PoisonMessage(f"unsupported CloudEvents specversion {text['ce_specversion']!r}")
        try:
            time = datetime.fromisoformat(text.get("ce_time") or "")
        except ValueError as exc:
            raise PoisonMessage(f"ce_time is not an RFC 3339 instant: {text.get('ce_time')!r}") from exc
        return cls(
            id=text["ce_id"],
            type=text["ce_type"],
            source=text["ce_source"],
            subject=text.get("ce_subject"),
            time=time,
        )
