"""Notification's HTTP API: operator review, notice batches, objections, the public notice pages."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from vouchers_shared import workdays
from vouchers_shared.auth import Principal, TokenService, requires
from vouchers_shared.errors import DomainRuleError

from notification import operations
from notification.domain.notice_page import NoticeEntry, NoticeView, render_notice_page, render_notices_index
from notification.handlers import Deps

REVIEW_SETTLE_WAIT_S = 10.0


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewRequest(Body):
    decision: Literal["pass", "reject"]
    note: str = Field(min_length=1, max_length=2000)


class ObjectionRequest(Body):
    application_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=5000)
    contact: str = Field(min_length=1, max_length=200)


class ResolveRequest(Body):
    upheld: bool
    note: str = Field(min_length=1, max_length=2000)


def _refused(exc: DomainRuleError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, operations.NotFound) else 409, detail=str(exc))


def _calendar_unknown(exc: workdays.CalendarYearUnknown) -> HTTPException:
    return HTTPException(422, detail={
        "code": "WORKING_DAY_CALENDAR_UNKNOWN", "year": exc.year,
        "message": f"公示期无法计算：{exc.year}年的法定工作日安排尚未公布，不作推测。{exc}"})


def build_router(deps: Callable[[], Deps], tokens: TokenService, notice_days: int) -> APIRouter:
    router = APIRouter()
    operator = Depends(requires(lambda: tokens, "operator"))
    overseer = Depends(requires(lambda: tokens, "operator", "auditor"))

    @router.post("/v1/applications/{application_id}/review",
                 responses={202: {"description": "Passed; the voucher is still being reserved"}})
    async def review(application_id: str, body: ReviewRequest,
                     who: Annotated[Principal, operator]) -> Any:
        """Settle a needs_review application, recording who and when.

        A pass first reserves the voucher against the applicant's yearly room left now (三(一)2);
        the answer waits a little for that: 200 with the status the case moved to
        (`awaiting_notice`, or `rejected` when no room is left), or 202 while still reserving.
        """
        try:
            stored = await operations.review(deps(), application_id, body.decision, body.note, who.subject)
        except DomainRuleError as exc:
            raise _refused(exc) from exc
        if body.decision == "reject":
            return {"application_id": application_id, "status": stored.case.status}
        status = await operations.status_after_review(deps(), application_id, REVIEW_SETTLE_WAIT_S)
        if status == "needs_review":
            return JSONResponse(status_code=202, content={
                "application_id": application_id, "status": status, "review": "passed",
                "detail": "the voucher is being reserved against the yearly room left; the case "
                          "moves on to the public notice once it is"})
        return {"application_id": application_id, "status": status}

    @router.post("/v1/notices", status_code=201)
    async def open_notice(_who: Annotated[Principal, operator]) -> dict[str, object]:
        """Open a public-notice batch with every awaiting_notice application (九 社会公示)."""
        try:
            return await operations.open_notice(deps(), notice_days)
        except workdays.CalendarYearUnknown as exc:  # never guessed from the weekday
            raise _calendar_unknown(exc) from exc
        except DomainRuleError as exc:
            raise _refused(exc) from exc

    @router.get("/v1/cases")
    async def cases(_who: Annotated[Principal, overseer],
                    overdue: Annotated[int | None, Query(ge=0, le=1000)] = None,
                    status: Annotated[str | None, Query(max_length=32)] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
        """Cases for operators; `overdue=50` lists the open ones past 50 working days (十)."""
        items = await operations.cases(deps(), overdue=overdue, status=status, limit=limit)
        return {"items": items, "today": deps().clock.today().isoformat()}

    @router.get("/v1/cases/{application_id}")
    async def case(application_id: str, _who: Annotated[Principal, overseer]) -> dict[str, Any]:
        """One case: status, working days, timeline with who decided what and when, letters."""
        try:
            return await operations.case_detail(deps(), application_id)
        except DomainRuleError as exc:
            raise _refused(exc) from exc

    @router.post("/v1/notices/{notice_id}/objections", status_code=201)
    async def object_to(notice_id: str, body: ObjectionRequest) -> dict[str, str]:
        """Anyone may object during the notice period (征求意见)."""
        try:
            objection_id = await operations.object_to(deps(), notice_id, body.application_id,
                                                      body.reason, body.contact)
        except DomainRuleError as exc:
            raise _refused(exc) from exc
        return {"objection_id": objection_id, "status": "objection_raised"}

    @router.post("/v1/objections/{objection_id}/resolve")
    async def resolve(objection_id: str, body: ResolveRequest,
                      who: Annotated[Principal, operator]) -> dict[str, Any]:
        """Upheld rejects the application; dismissed returns it to the notice."""
        try:
            stored = await operations.resolve(deps(), objection_id, body.upheld, body.note, who.subject)
        except DomainRuleError as exc:
            raise _refused(exc) from exc
        return {"application_id": stored.case.application_id, "status": stored.case.status}

    @router.get("/notices", response_model=None)
    async def notices(format: str = "html") -> HTMLResponse | JSONResponse:
        """Every public notice, as a page or as JSON."""
        views = [_view(n) for n in await deps().store.all_notices()]
        if format == "json":
            return JSONResponse({"items": [v.model_dump(mode="json") for v in views]})
        return HTMLResponse(render_notices_index(views))

    @router.get("/notices/{notice_id}", response_model=None)
    async def notice(notice_id: str, format: str = "html") -> HTMLResponse | JSONResponse:
        """One public notice: applicants, projects, voucher amounts, period, how to object."""
        doc = await deps().store.notice(notice_id)
        if doc is None:
            raise HTTPException(404, detail="no such notice")
        view = _view(doc)
        if format == "json":
            return JSONResponse(view.model_dump(mode="json"))
        return HTMLResponse(render_notice_page(view))

    return router


def _view(doc: dict[str, Any]) -> NoticeView:
    return NoticeView(notice_id=doc["_id"], starts_on=doc["starts_on"], ends_on=doc["ends_on"],
                      working_days=doc["working_days"],
                      entries=tuple(NoticeEntry.model_validate(e) for e in doc["entries"]))
