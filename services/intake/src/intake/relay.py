"""The outbox relay: publishes what was stored but not published (a crash between the two).

Due times are wall-clock, not program time: they are about processes, and every replica (each
maybe on another program clock) must agree on them. An outbox is claimed before it is
published, so two replicas never relay the same one at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from vouchers_shared.observability.metrics import OUTBOX_BACKLOG

from intake.adapters.mongo_store import IntakeStore
from intake.submission import Submissions

log = structlog.get_logger()


async def relay_once(store: IntakeStore, submissions: Submissions, lease: timedelta) -> int:
    """Publish every pending outbox that is due (younger ones are still in their request)."""
    relayed = 0
    for application_id in await store.due_outboxes(datetime.now(UTC)):
        now = datetime.now(UTC)
        doc = await store.claim_outbox(application_id, now, now + lease)
        if doc is None:
            continue  # published meanwhile, or another relay has it
        try:
            await submissions.publish_pending(application_id, doc["outbox"], relayed=True)
        finally:
            await store.release_claim(application_id)
        log.info("outbox_relayed", application_id=application_id)
        relayed += 1
    OUTBOX_BACKLOG.labels(service="intake").set(await store.backlog())
    return relayed
