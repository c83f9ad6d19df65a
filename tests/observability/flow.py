"""Applications of the observability tests: filed over HTTP into the session suite.

Their applicants are a block of serials of this module's own (`applicant_block`, apart from every
other module's), and each gets its audit report registered, so the only rules they fail are the ones
chosen.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaProducer

from tests.support.filing import add_refdata, application, file, qr_code_of, wait_view
from tests.support.samples import applicant_block, make_uscc
from tests.support.suite import Suite

BLOCK = applicant_block()
FINAL = frozenset({"awaiting_notice", "rejected", "needs_review"})
_next = iter(range(100))


def new_applicant() -> str:
    return make_uscc(BLOCK + next(_next))


def register_audit_reports(suite: Suite, usccs: list[str]) -> None:
    add_refdata(
        suite, "audit_reports", [{"qr_code": qr_code_of(u), "uscc": u, "fiscal_year": 2025} for u in usccs]
    )


def below_threshold(uscc: str) -> dict[str, Any]:
    """The approvable sample with one 450,000 CNY contract: fails AMT-MIN-SPEND only."""
    return application(uscc, contracts=[("HT-OBS-01", "450000.00")])


def file_and_wait(suite: Suite, app: dict[str, Any]) -> dict[str, Any]:
    """File `app` and return its view once all three checks are in and the case is decided."""
    application_id = file(suite, app)
    return wait_view(
        suite,
        application_id,
        "a decision",
        lambda v: v["status"] in FINAL and all(c["outcome"] != "pending" for c in v["checks"].values()),
        timeout=120,
    )


def publish_poison(suite: Suite, topic: str) -> str:
    """A record without CloudEvents headers on `topic`: every consumer of it must park it."""
    key = f"poison-{uuid.uuid4().hex[:12]}"

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=suite.infra.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                topic, b"\x00 not an event", key=key.encode(), headers=[("content-type", b"application/json")]
            )
        finally:
            await producer.stop()

    asyncio.run(send())
    return key
