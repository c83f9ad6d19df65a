"""Notification: case decisions, public notice, objections, approval and rejection letters."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import timedelta

import structlog
from fastapi import FastAPI
from vouchers_shared import topics
from vouchers_shared.auth import TokenService
from vouchers_shared.body_limit import problem_answer
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.program import load_program
from vouchers_shared.rate_limit import RateLimiter
from vouchers_shared.runtime import Runtime, service_app

from notification import console, operations
from notification.adapters.channels import SmtpChannel, WebhookChannel
from notification.adapters.kept_cases import KeptCases
from notification.adapters.mongo_store import NotificationStore
from notification.api import ObjectionPolicy, build_router
from notification.config import Settings
from notification.console.upstream import Upstream
from notification.handlers import Deps, fold_cases, on_event
from notification.letter_sender import Channel, RetryPolicy, send_due
from notification.public_form import build_form_router, html_when_form_too_large

SERVICE = "notification"
log = structlog.get_logger()
CASE_TOPICS = (topics.APPLICATIONS, topics.COI, topics.ELIGIBILITY, topics.VERIFICATION)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    params = load_program(settings.voucher_program)
    broker = build_broker(settings, SERVICE)
    channels = _channels(settings)  # a channel set up wrongly stops the service before it starts
    holder: dict[str, Deps] = {}
    kept = KeptCases()  # the cases the case consumer wrote last

    async def owning(partitions: set[int]) -> None:
        if "deps" not in holder:
            return
        try:
            await holder["deps"].store.writes.note_owner(partitions)
        except Exception as exc:  # the store is away: no kept case is used until the next assignment
            log.warning("partition_owner_not_noted", partitions=sorted(partitions), error=repr(exc))

    async def on_start(runtime: Runtime) -> None:
        store = NotificationStore(runtime.mongo, kept=kept)
        await store.ensure_indexes()
        deps = Deps(
            store,
            runtime.clock,
            timedelta(seconds=settings.check_timeout_s),
            runtime.publisher,
            warning_working_days=params.processing_warning_working_days,
            limit_working_days=params.processing_limit_working_days,
        )
        holder["deps"] = deps
        # The sweep reads the whole case index: at its pace only while work comes in. Neither
        # it nor the letters take the event loop and the store from a peak of verdicts for long.
        runtime.every(
            "sweep",
            settings.sweep_interval_s,
            lambda: operations.sweep(deps),
            idle_interval_s=settings.sweep_idle_s(),
            gives_way_s=settings.give_way_to_backlog_s,
        )
        policy = RetryPolicy(first_s=settings.letter_retry_first_s, max_s=settings.letter_retry_max_s)

        def letters() -> Awaitable[int]:
            return send_due(store, channels, policy, go_on=runtime.quiet)

        runtime.every(
            "letters", settings.sweep_interval_s, letters, gives_way_s=settings.give_way_to_backlog_s
        )

    def handle(inbound: Inbound) -> Awaitable[Sequence[Outgoing]]:
        runtime().touch()
        return on_event(inbound, holder["deps"])

    def fold(batch: Sequence[Inbound]) -> Awaitable[Sequence[Outgoing]]:
        runtime().touch()
        return fold_cases(batch, holder["deps"])

    tokens = TokenService(settings.signing_key())
    policy = _objection_policy(settings)  # one for the API and the notice page's form
    router = build_router(lambda: holder["deps"], tokens, params.public_notice_working_days, policy)
    form = build_form_router(lambda: holder["deps"], policy)
    app, runtime = service_app(
        SERVICE,
        settings,
        broker,
        on_start=on_start,
        routers=[router, form],
        title="Compute vouchers: notification",
        too_large_answer=html_when_form_too_large(problem_answer),
    )
    console.mount(
        app,
        console.Console(
            lambda: holder["deps"],
            tokens,
            settings,
            params.public_notice_working_days,
            policy.most_open,
            Upstream(settings.intake_base_url, settings.verification_base_url),
        ),
    )
    consume(
        broker,
        *CASE_TOPICS,
        group_id="notification-cases",
        processor=lambda: runtime().processor,
        handler=lambda: handle,
        fold=lambda: fold,
        rebalanced=kept.forget_all,
        assigned=owning,
        title="notification-cases",
        description="Joins the three verdicts per application into a case and decides",
    )
    return app


def _objection_policy(settings: Settings) -> ObjectionPolicy:
    return ObjectionPolicy(
        per_client=RateLimiter(settings.objections_per_minute_per_client),
        per_contact=RateLimiter(settings.objections_per_minute_per_contact),
        most_open=settings.open_objections_per_application,
    )


def _channels(settings: Settings) -> dict[str, Channel]:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    channels: dict[str, Channel] = {
        "smtp": SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_user,
            password,
            settings.smtp_starttls,
            settings.smtp_sender,
        )
    }
    if settings.letter_webhook_url:
        secret = settings.letter_webhook_secret.get_secret_value() if settings.letter_webhook_secret else ""
        if not secret:  # never send letters unsigned
            raise ValueError("LETTER_WEBHOOK_URL is set but LETTER_WEBHOOK_SECRET is not")
        channels["webhook"] = WebhookChannel(settings.letter_webhook_url, secret)
    return channels
