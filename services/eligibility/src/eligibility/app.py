"""Eligibility: conflict-of-interest check, rule book, yearly ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI
from vouchers_shared import topics
from vouchers_shared.messaging.consumer import Fold
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.program import load_program
from vouchers_shared.refdata_store import Derived, RefdataStore, store_snapshot
from vouchers_shared.runtime import Runtime, service_app

from eligibility.adapters.mongo_store import DATABASE, EligibilityStore
from eligibility.config import Settings
from eligibility.handlers import (
    Deps,
    Handler,
    fold_batch,
    on_ledger_on_its_own,
    on_rules_or_decision,
    on_submitted,
)
from eligibility.refs import build_graph

SERVICE = "eligibility"
REFDATA_KINDS = ("providers", "holdings", "officers", "restrictions", "prior_year_unredeemed")
Bound = Callable[[Inbound], Awaitable[Sequence[Outgoing]]]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    params = load_program(settings.voucher_program)
    broker = build_broker(settings, SERVICE)
    holder: dict[str, Deps] = {}

    async def on_start(runtime: Runtime) -> None:
        store = EligibilityStore(runtime.mongo)
        await store.ensure_indexes()
        holder["deps"] = Deps(
            store, RefdataStore(runtime.mongo, DATABASE), Derived(build_graph), params, runtime.clock
        )

    def bound(handler: Handler) -> Callable[[], Bound]:
        def handle(inbound: Inbound) -> Awaitable[Sequence[Outgoing]]:
            return handler(inbound, holder["deps"])

        return lambda: handle

    def partitions_moved() -> None:
        if "deps" in holder:
            holder["deps"].ledgers.clear()  # another process may write them from now on

    def folded(handler: Handler) -> Callable[[], Fold]:
        def fold(batch: Sequence[Inbound]) -> Awaitable[Sequence[Outgoing]]:
            return fold_batch(batch, handler, holder["deps"])

        return lambda: fold

    async def refdata(inbound: Inbound) -> Sequence[Outgoing]:
        return await store_snapshot(inbound, holder["deps"].refdata, REFDATA_KINDS)

    app, runtime = service_app(
        SERVICE, settings, broker, on_start=on_start, title="Compute vouchers: eligibility"
    )
    processor = lambda: runtime().processor  # noqa: E731
    consume(
        broker,
        topics.APPLICATIONS,
        group_id="eligibility-coi",
        processor=processor,
        handler=bound(on_submitted),
        fold=folded(on_submitted),
        title="eligibility-coi",
        description="Conflict-of-interest check of each submitted application",
    )
    # One group writes the yearly ledgers: the rule book's reservations and the decisions that
    # release, grant or settle them reach one process, one applicant at a time (range assignor).
    consume(
        broker,
        topics.COI,
        topics.DECISIONS,
        group_id="eligibility-rules",
        processor=processor,
        handler=bound(on_ledger_on_its_own),
        fold=folded(on_rules_or_decision),
        rebalanced=partitions_moved,
        title="eligibility-rules",
        description="Rule book and yearly ledger: reservations after the conflict-of-interest "
        "verdict; releases, grants and reviewed reservations after decisions",
    )
    consume(
        broker,
        *(topics.refdata_topic(k) for k in REFDATA_KINDS),
        group_id="eligibility-refdata",
        processor=processor,
        handler=lambda: refdata,
        title="eligibility-refdata",
        description="Reference data this service needs, into its own database",
    )
    return app
