"""The outbox relay: publishes what was stored but not published (a crash between the two)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from vouchers_shared.clock import Clock
from vouchers_shared.observability.metrics import OUTBOX_BACKLOG

from intake.adapters.mongo_store import IntakeStore
from intake.submission import Submissions

log = structlog.get_logger()


async def relay_once(store: IntakeStore, submissions: Submissions, clock: Clock,
                     grace: timedelta) -> int:
    """Publish every pending outbox older than `grace` (younger ones are still in their request)."""
    pending = await store.unpublished(older_than=clock.now() - grace)
    for doc in pending:
        await submissions.publish_pending(doc["_id"], doc["outbox"])
        log.info("outbox_relayed", application_id=doc["_id"])
    OUTBOX_BACKLOG.labels(service="intake").set(await store.backlog())
    return len(pending)


async def run_relay(store: IntakeStore, submissions: Submissions, clock: Clock,
                    interval_s: float, grace: timedelta) -> None:
    while True:
        try:
            await relay_once(store, submissions, clock, grace)
        except Exception as exc:  # the store or broker is away: try again next round
            log.warning("outbox_relay_failed", error=repr(exc))
        await asyncio.sleep(interval_s)
