"""The console's pages: the queue, a case, the overview, the dead letters (reading only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from vouchers_shared import topics
from vouchers_shared.messaging.dlq import parked

from notification import operations
from notification.console import case_view, records
from notification.console.overview import DASHBOARDS, latest_versions, overview
from notification.console.queue import STATUSES, QueueFilter, queue, row
from notification.console.web import PREFIX, Console, Refused, page, reader
from notification.domain.deadlines import OPEN_STATUSES

MOST_CASES = 100_000
MOST_PARKED = 500  # dead letters listed on one page
VERSION_SAMPLE = 5  # the newest cases asked for the reference-data versions of their verdicts
DLQ_TOPICS = (*topics.EVENT_TOPICS, *topics.REFDATA_TOPICS)
FLASH_VALUES = ("status", "notice_id", "starts_on", "ends_on", "n", "id")


def flash(request: Request) -> dict[str, Any] | None:
    """What the last action did, from the address it sent the browser to."""
    key = request.query_params.get("done", "")
    if not key.startswith("done_"):
        return None
    return {"key": key, "values": {k: request.query_params.get(k, "")[:200] for k in FLASH_VALUES}}


def build(console: Console) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    async def summaries() -> list[dict[str, Any]]:
        return await operations.cases(console.deps(), overdue=None, status=None, limit=MOST_CASES)

    @router.get("/queue")
    async def queue_page(request: Request) -> HTMLResponse:
        session = reader(console, request)
        q = request.query_params
        wanted = QueueFilter.of(q.get("status"), q.get("q"), q.get("page"))
        items = await summaries()
        listed = queue(items, wanted, console.deps().limit_working_days)
        awaiting = sum(1 for s in items if s["status"] == "awaiting_notice")
        return page(
            request,
            "queue.html.j2",
            session,
            nav="queue",
            listed=listed,
            wanted=wanted,
            statuses=STATUSES,
            awaiting=awaiting,
            flash=flash(request),
        )

    @router.get("/cases/{application_id}")
    async def case_page(application_id: str, request: Request) -> HTMLResponse:
        session = reader(console, request)
        deps = console.deps()
        stored = await deps.store.load_shown(application_id)
        if stored is None:
            raise Refused(404, "not_found", application_id, session=session)
        case = stored.case
        filed_view = await console.upstream.application(application_id, session.token)
        filed = (filed_view or {}).get("application")
        letter_docs = await deps.store.letters_of(application_id)
        objection_docs = await deps.store.objections_of(application_id)
        notice = await deps.store.notice(case.notice_id) if case.notice_id else None
        today = deps.clock.today()
        return page(
            request,
            "case.html.j2",
            session,
            nav="queue",
            case=case,
            info=stored.info,
            summary=operations.summary(stored, today),
            row=row(operations.summary(stored, today), deps.limit_working_days),
            filed=filed,
            filed_unavailable=filed is None,
            checks=case_view.checks(case, filed),
            amount=case_view.amount(case),
            contracts=case_view.contracts(case, filed),
            materials=case_view.materials(filed),
            material_findings=case_view.material_findings(case),
            consents=await console.upstream.consents(application_id, session.token),
            timeline=records.timeline(
                case, notice=notice, objection_docs=objection_docs, letter_docs=letter_docs
            ),
            letters=records.letters(letter_docs),
            objections=records.objections(objection_docs, case.open_objections),
            actions=records.actions(case, may_act=session.may_act, today=today),
            rules_held=case_view.rules_held(case),
            flash=flash(request),
        )

    @router.get("/overview")
    async def overview_page(request: Request) -> HTMLResponse:
        session = reader(console, request)
        deps = console.deps()
        stored = await deps.store.with_status(*STATUSES)
        today = deps.clock.today()
        rows = [
            row(operations.summary(s, today), deps.limit_working_days)
            for s in stored
            if s.case.status in OPEN_STATUSES
        ]
        newest = sorted(stored, key=lambda s: s.case.opened_at, reverse=True)[:VERSION_SAMPLE]
        reports = await console.upstream.versions([s.case.application_id for s in newest], session.token)
        seen = overview(
            stored,
            rows,
            year=today.year,
            warning_days=deps.warning_working_days,
            refdata_versions=latest_versions(reports),
        )
        grafana = console.settings.grafana_url.rstrip("/")
        return page(
            request,
            "overview.html.j2",
            session,
            nav="overview",
            seen=seen,
            warning_days=deps.warning_working_days,
            dashboards=[(uid, f"{grafana}/d/{uid}") for uid in DASHBOARDS],
        )

    @router.get("/dead-letters")
    async def dead_letters_page(request: Request) -> HTMLResponse:
        """One topic's dead letters at a time (each read goes through the topic from its start)."""
        session = reader(console, request)
        topic = request.query_params.get("topic", "")
        topic = topic if topic in DLQ_TOPICS else topics.APPLICATIONS
        found: list[Any] = []
        error = None
        try:
            found = [r async for r in parked(console.settings, topic)]
        except Exception as exc:  # Kafka away: the page says so rather than failing
            error = str(exc) or type(exc).__name__
        return page(
            request,
            "dead_letters.html.j2",
            session,
            nav="dead_letters",
            topics=DLQ_TOPICS,
            topic=topic,
            parked=found[:MOST_PARKED],
            more=max(len(found) - MOST_PARKED, 0),
            error=error,
            flash=flash(request),
        )

    return router
