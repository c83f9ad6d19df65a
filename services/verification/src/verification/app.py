"""Verification: materials, CPA-platform QR checks and consent records."""

from collections.abc import Awaitable, Sequence
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Query
from vouchers_shared import topics
from vouchers_shared.auth import Principal, TokenService, requires
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import build_broker
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.subscribe import consume
from vouchers_shared.program import load_program
from vouchers_shared.refdata import AuditReportItem, Snapshot
from vouchers_shared.refdata_store import Derived, RefdataStore, store_snapshot
from vouchers_shared.runtime import Runtime, service_app

from verification.adapters.cpa_platform import HttpCpaPlatform, RefdataCpaPlatform
from verification.adapters.mongo_store import DATABASE, VerificationStore
from verification.config import Settings
from verification.domain.model import MaterialParams
from verification.handlers import Deps, RetrySettings, fold_batch, on_submitted, recheck_due

SERVICE = "verification"
log = structlog.get_logger()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    params = MaterialParams.from_program(load_program(settings.voucher_program))
    broker = build_broker(settings, SERVICE)
    holder: dict[str, Any] = {}
    tokens = TokenService(settings.signing_key())

    async def on_start(runtime: Runtime) -> None:
        store = VerificationStore(runtime.mongo)
        await store.ensure_indexes()
        refdata = RefdataStore(runtime.mongo, DATABASE)
        http = _http_platform(settings)

        registry = Derived(audit_registry)  # rebuilt only when a new audit_reports snapshot lands

        async def platform() -> Any:
            if http is not None:
                return http
            return registry.get(await refdata.current(("audit_reports",)))

        retry = RetrySettings(
            settings.qr_retry_max_attempts, settings.qr_retry_base_delay_s, settings.qr_retry_cap_s
        )
        holder.update(deps=Deps(store, platform, params, runtime.clock, retry), refdata=refdata, http=http)
        runtime.every(
            "qr-recheck",
            settings.qr_retry_poll_s,
            lambda: recheck_due(holder["deps"], runtime.publisher),
            failed="qr_recheck_failed",
        )

    async def on_stop(_runtime: Runtime) -> None:
        if holder.get("http") is not None:
            await holder["http"].aclose()

    def handle(inbound: Inbound) -> Awaitable[Sequence[Outgoing]]:
        return on_submitted(inbound, holder["deps"])

    def fold(batch: Sequence[Inbound]) -> Awaitable[Sequence[Outgoing]]:
        return fold_batch(batch, holder["deps"])

    async def refdata(inbound: Inbound) -> Sequence[Outgoing]:
        return await store_snapshot(inbound, holder["refdata"], ("audit_reports",))

    app, runtime = service_app(
        SERVICE,
        settings,
        broker,
        on_start=on_start,
        on_stop=on_stop,
        routers=[_consent_router(lambda: holder["deps"].store, tokens)],
        title="Compute vouchers: verification",
    )
    consume(
        broker,
        topics.APPLICATIONS,
        group_id="verification",
        processor=lambda: runtime().processor,
        handler=lambda: handle,
        fold=lambda: fold,
        title="verification",
        description="Materials (五, 声明二), audit QR codes and consent records",
    )
    consume(
        broker,
        topics.refdata_topic("audit_reports"),
        group_id="verification-refdata",
        processor=lambda: runtime().processor,
        handler=lambda: refdata,
        title="verification-refdata",
        description="Audit-report registry for local mode",
    )
    return app


def _http_platform(settings: Settings) -> HttpCpaPlatform | None:
    if not settings.cpa_platform_url:
        return None
    token = settings.cpa_platform_token.get_secret_value() if settings.cpa_platform_token else ""
    return HttpCpaPlatform(
        settings.cpa_platform_url,
        token,
        timeout_s=settings.cpa_platform_timeout_s,
        attempts=settings.cpa_platform_attempts,
    )


def _consent_router(store: Any, tokens: TokenService) -> APIRouter:
    router = APIRouter(prefix="/v1")
    reader = Depends(requires(lambda: tokens, "auditor", "operator"))

    @router.get("/consent-records")
    async def consent_records(
        _who: Annotated[Principal, reader],
        applicant_uscc: str | None = None,
        application_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Compute-audit consents (训力审计同意书) as received; auditors and operators only."""
        records = await store().list(
            applicant_uscc=applicant_uscc, application_id=application_id, limit=limit
        )
        return {"items": [r.model_dump(mode="json") for r in records]}

    return router


def audit_registry(snapshots: dict[str, Snapshot]) -> RefdataCpaPlatform:
    snapshot = snapshots.get("audit_reports")
    items = [i for i in snapshot.parsed() if isinstance(i, AuditReportItem)] if snapshot else []
    return RefdataCpaPlatform.from_items(items)
