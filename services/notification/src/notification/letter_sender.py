"""Sending queued letters through every configured channel; each channel once per letter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import structlog
from vouchers_shared.errors import TransientError
from vouchers_shared.observability import metrics

from notification.adapters.mongo_store import NotificationStore
from notification.domain.letters import Letter

log = structlog.get_logger()


class Channel(Protocol):
    async def send(self, letter: Letter) -> None: ...


async def send_pending(store: NotificationStore, channels: Mapping[str, Channel],
                       now: datetime) -> int:
    """Try every unsent letter; a failed channel is tried again on the next round."""
    sent = 0
    for stored in await store.with_letters_pending():
        changed = False
        for item in stored.letters:
            if item["sent"]:
                continue
            letter = Letter.model_validate(item["letter"])
            for name, channel in channels.items():
                if name in item["channels_done"]:
                    continue
                try:
                    await channel.send(letter)
                except TransientError as exc:
                    item["attempts"].append({"at": now.isoformat(), "channel": name, "error": str(exc)})
                    metrics.LETTERS.labels(kind=letter.kind, channel=name, result="failed").inc()
                    log.warning("letter_send_failed", application_id=letter.application_id,
                                channel=name, error=str(exc))
                else:
                    item["channels_done"].append(name)
                    metrics.LETTERS.labels(kind=letter.kind, channel=name, result="sent").inc()
                    log.info("letter_sent", application_id=letter.application_id, channel=name,
                             kind=letter.kind)
                changed = True
            item["sent"] = all(name in item["channels_done"] for name in channels)
            sent += item["sent"]
        if changed:
            await store.save(stored)
    return sent
