"""Intake: the HTTP front door, the outbox relay and the status read model, in one process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import structlog
from fastapi import FastAPI
from vouchers_shared.auth import TokenService
from vouchers_shared.clock import Clock
from vouchers_shared.errors import TransientError
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.program import load_program
from vouchers_shared.rate_limit import RateLimiter
from vouchers_shared.runtime import Runtime, service_app

from intake.adapters.mongo_store import IntakeStore
from intake.api import ApiDeps, build_router
from intake.config import Settings
from intake.read_model import READ_MODEL_TOPICS, Projector
from intake.refdata_loader import RefdataLoader
from intake.relay import relay_once
from intake.status_counts import StatusCounts
from intake.submission import PublishedOutboxes, Submissions

SERVICE = "intake"
RELAY_LEASE = timedelta(seconds=30)  # how long a relay that took an outbox may take to publish it
STATUS_COUNTS_EVERY_S = 1.0  # how often the status changes noted are added to the counters
log = structlog.get_logger()


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, read_model: bool = True
) -> FastAPI:
    """The intake app; `clock` stands in for the program clock of VOUCHER_CLOCK (replays, tests).

    Without `read_model` the process files and reads but leaves feeding the status read model
    to the other replicas (it does not join their consumer group).
    """
    settings = settings or Settings()
    params = load_program(settings.voucher_program)
    broker = build_broker(settings, SERVICE)
    holder: dict[str, ApiDeps] = {}
    counts: dict[str, StatusCounts] = {}
    projectors: dict[str, Projector] = {}
    published: dict[str, PublishedOutboxes] = {}

    def deps() -> ApiDeps:
        return holder["deps"]

    async def on_start(runtime: Runtime) -> None:
        store = IntakeStore(runtime.mongo)
        await store.ensure_indexes()
        program_clock = clock or runtime.clock
        published["outboxes"] = PublishedOutboxes(store)
        submissions = Submissions(
            store,
            runtime.publisher,
            program_clock,
            params,
            timedelta(seconds=settings.outbox_relay_grace_s),
            published["outboxes"],
            runtime.after_reply,
        )
        holder["deps"] = ApiDeps(
            store,
            submissions,
            RefdataLoader(runtime.publisher),
            TokenService(settings.signing_key()),
            program_clock,
            RateLimiter(settings.submissions_per_minute_per_token),
        )
        runtime.every(
            "outbox-markers",
            PublishedOutboxes.FLUSH_EVERY_S,
            published["outboxes"].flush,
            failed="outbox_markers_failed",
        )
        runtime.every(
            "outbox-relay",
            settings.outbox_relay_interval_s,
            lambda: relay_once(store, submissions, RELAY_LEASE),
            failed="outbox_relay_failed",
        )
        counts["status"] = StatusCounts(store)
        projectors["status"] = Projector(store, counts["status"])
        if read_model:  # before consuming: the changes noted from then on add to this count
            try:
                await counts["status"].recount()
            except TransientError as exc:  # a guard left by a killed process: the gauge waits
                log.warning("status_count_failed", error=repr(exc))
        runtime.every(
            "status-counts", STATUS_COUNTS_EVERY_S, counts["status"].tick, failed="status_count_failed"
        )

    async def on_stop(_runtime: Runtime) -> None:
        if "outboxes" in published:  # requests are over: the last markers go now
            try:
                await published["outboxes"].flush()
            except Exception as exc:  # the store is away: the relay publishes those again
                log.warning("outbox_markers_failed", error=repr(exc))
        if "status" in counts:  # the consumers have stopped: what they noted last
            try:
                await counts["status"].flush()
            except Exception as exc:  # the store is away: the next start recounts
                log.warning("status_count_failed", error=repr(exc))

    async def handle(inbound: Inbound) -> Sequence[Outgoing]:
        return await projectors["status"].fold([inbound])

    def forget_views() -> None:
        if "status" in projectors:
            projectors["status"].forget_all()

    app, runtime = service_app(
        SERVICE,
        settings,
        broker,
        on_start=on_start,
        on_stop=on_stop,
        routers=[build_router(deps, local_mode=settings.vouchers_local_mode)],
        title="Compute vouchers: intake",
    )
    if read_model:
        consume(
            broker,
            *READ_MODEL_TOPICS,
            group_id="intake-status",
            processor=lambda: runtime().processor,
            handler=lambda: handle,
            fold=lambda: projectors["status"].fold,
            rebalanced=forget_views,
            title="intake-status",
            description="Status read model behind GET /v1/applications",
        )
    return app
