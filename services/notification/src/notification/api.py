"""Notification's HTTP API: operator review, notice batches, objections, the public notice pages."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from vouchers_shared import workdays
from vouchers_shared.auth import Principal, TokenService, requires
from vouchers_shared.problem_docs import problem_responses
from vouchers_shared.problems import Bilingual, ProblemError, rate_limited
from vouchers_shared.rate_limit import RateLimiter

from notification import objections, operations
from notification.domain.notice_page import NoticeView, notice_view, render_notice_page, render_notices_index
from notification.domain.objection_form import ObjectionFields, ObjectionForm
from notification.domain.objections import normal_contact
from notification.handlers import Deps
from notification.responses import (
    CaseDetail,
    CaseList,
    CaseStatus,
    Dismissals,
    NoticeIndex,
    NoticeOpened,
    ObjectionFiled,
    ReviewPassedReserving,
)

REVIEW_SETTLE_WAIT_S = 10.0


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewRequest(Body):
    decision: Literal["pass", "reject"]
    note: str = Field(min_length=1, max_length=2000)


class ObjectionRequest(ObjectionFields):
    """An objection as the public files it (the notice page's form takes the same fields)."""


class ResolveRequest(Body):
    upheld: bool
    note: str = Field(min_length=1, max_length=2000)


class DismissRequest(Body):
    """Either the objections named, or every open objection of one application."""

    objection_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=1000
    )
    application_id: str | None = Field(default=None, min_length=1, max_length=64)
    note: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _one_selection(self) -> Self:
        if (self.objection_ids is None) == (self.application_id is None):
            raise ValueError("give either objection_ids or application_id, not both")
        return self


@dataclass(frozen=True)
class ObjectionPolicy:
    """How much the public may object: per client address and per contact, and how many
    objections an application may hold open at once (the rest refused until some are resolved)."""

    per_client: RateLimiter
    per_contact: RateLimiter
    most_open: int


def _too_many(limiter: RateLimiter, subject: str, zh: str, en: str) -> ProblemError | None:
    """The 429 for a `subject` past its rate, with Retry-After; None while it may go on."""
    retry_after = limiter.retry_after(subject)
    if retry_after is None:
        return None
    n = limiter.per_minute
    return rate_limited(
        retry_after,
        Bilingual(
            f"异议提交过于频繁：每个{zh}每分钟至多 {n} 条，请 {retry_after} 秒后再试",
            f"at most {n} objections a minute per {en}; try again in {retry_after} s",
        ),
    )


def _calendar_unknown(exc: workdays.CalendarYearUnknown) -> ProblemError:
    return ProblemError(
        422,
        "WORKING_DAY_CALENDAR_UNKNOWN",
        Bilingual(f"公示期无法计算：{exc.year}年的法定工作日安排尚未公布，不作推测", str(exc)),
        year=exc.year,
    )


def _page_or_json(model: type[BaseModel]) -> dict[str, Any]:
    """The public pages: HTML, or with `?format=json` the same as JSON."""
    return {
        "description": "The page; with `?format=json`, the same as JSON",
        "model": model,
        "content": {"text/html": {"schema": {"type": "string"}}},
    }


NOT_FOUND_OR_REFUSED = problem_responses(
    404,
    409,
    described={
        404: "No such application or objection (NOT_FOUND)",
        409: "Not allowed in the case's status (ILLEGAL_TRANSITION, REVIEW_CANNOT_PASS, "
        "OBJECTION_NOT_OPEN, NO_OPEN_OBJECTION, OUTSIDE_NOTICE_PERIOD)",
    },
)


def build_router(
    deps: Callable[[], Deps], tokens: TokenService, notice_days: int, policy: ObjectionPolicy
) -> APIRouter:
    router = APIRouter()
    operator = Depends(requires(lambda: tokens, "operator"))
    overseer = Depends(requires(lambda: tokens, "operator", "auditor"))

    @router.post(
        "/v1/applications/{application_id}/review",
        response_model=CaseStatus,
        responses={
            202: {
                "description": "Passed; the voucher is still being reserved",
                "model": ReviewPassedReserving,
            },
            **NOT_FOUND_OR_REFUSED,
        },
    )
    async def review(application_id: str, body: ReviewRequest, who: Annotated[Principal, operator]) -> Any:
        """Settle a needs_review application, recording who and when.

        A pass first reserves the voucher against the applicant's yearly room left now (三(一)2);
        the answer waits a little for that: 200 with the status the case moved to
        (`awaiting_notice`, or `rejected` when no room is left), or 202 while still reserving.
        """
        stored = await operations.review(deps(), application_id, body.decision, body.note, who.subject)
        if body.decision == "reject":
            return {"application_id": application_id, "status": stored.case.status}
        status = await operations.status_after_review(deps(), application_id, REVIEW_SETTLE_WAIT_S)
        if status == "needs_review":
            return JSONResponse(
                status_code=202,
                content={
                    "application_id": application_id,
                    "status": status,
                    "review": "passed",
                    "detail": "the voucher is being reserved against the yearly room left; the case "
                    "moves on to the public notice once it is",
                },
            )
        return {"application_id": application_id, "status": status}

    @router.post(
        "/v1/notices",
        status_code=201,
        response_model=NoticeOpened,
        responses=problem_responses(
            409,
            422,
            described={
                409: "No application awaits a public notice (NOTHING_TO_NOTICE)",
                422: "The period runs into a year whose working days are not published yet "
                "(WORKING_DAY_CALENDAR_UNKNOWN, with `year`)",
            },
        ),
    )
    async def open_notice(_who: Annotated[Principal, operator]) -> dict[str, object]:
        """Open a public-notice batch with every awaiting_notice application (九 社会公示)."""
        try:
            return await operations.open_notice(deps(), notice_days)
        except workdays.CalendarYearUnknown as exc:  # never guessed from the weekday
            raise _calendar_unknown(exc) from exc

    @router.get("/v1/cases", response_model=CaseList)
    async def cases(
        _who: Annotated[Principal, overseer],
        overdue: Annotated[int | None, Query(ge=0, le=1000)] = None,
        status: Annotated[str | None, Query(max_length=32)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> dict[str, Any]:
        """Cases for operators; `overdue=50` lists the open ones past 50 working days (十)."""
        items = await operations.cases(deps(), overdue=overdue, status=status, limit=limit)
        return {"items": items, "today": deps().clock.today().isoformat()}

    @router.get("/v1/cases/{application_id}", response_model=CaseDetail, responses=problem_responses(404))
    async def case(application_id: str, _who: Annotated[Principal, overseer]) -> dict[str, Any]:
        """One case: status, working days, timeline with who decided what and when, letters."""
        return await operations.case_detail(deps(), application_id)

    @router.post(
        "/v1/notices/{notice_id}/objections",
        status_code=201,
        response_model=ObjectionFiled,
        responses={
            200: {"description": "filed before: the first objection's id", "model": ObjectionFiled},
            **problem_responses(
                404,
                409,
                429,
                described={
                    404: "The application is not in this notice (NOT_FOUND)",
                    409: "Too many open objections (OBJECTION_LIMIT_REACHED), or the "
                    "notice period is over (OUTSIDE_NOTICE_PERIOD, ILLEGAL_TRANSITION)",
                    429: "Too many objections from this client address or contact "
                    "(RATE_LIMITED); `Retry-After` says when to try again",
                },
            ),
        },
    )
    async def object_to(notice_id: str, body: ObjectionRequest, request: Request) -> Any:
        """Anyone may object during the notice period (征求意见), within the rates per client and
        per contact; the same objection again answers 200 with the first one's id."""
        client = request.client.host if request.client else "unknown"
        refused = _too_many(policy.per_client, client, "客户端地址", "client address") or _too_many(
            policy.per_contact, normal_contact(body.contact), "联系方式", "contact"
        )
        if refused is not None:
            raise refused
        filed = await objections.object_to(
            deps(),
            notice_id,
            body.application_id,
            body.reason,
            body.contact,
            objector=body.objector,
            most_open=policy.most_open,
        )
        if not filed.new:
            return JSONResponse({"objection_id": filed.objection_id, "status": "already_filed"})
        return {"objection_id": filed.objection_id, "status": "objection_raised"}

    @router.post(
        "/v1/objections/{objection_id}/resolve", response_model=CaseStatus, responses=NOT_FOUND_OR_REFUSED
    )
    async def resolve(
        objection_id: str, body: ResolveRequest, who: Annotated[Principal, operator]
    ) -> dict[str, Any]:
        """Upheld rejects the application; dismissed returns it to the notice."""
        if body.upheld:
            stored = await objections.uphold(deps(), objection_id, body.note, who.subject)
            return {"application_id": stored.case.application_id, "status": stored.case.status}
        (done,) = await objections.dismiss(
            deps(), objection_ids=[objection_id], note=body.note, by=who.subject
        )
        return {"application_id": done.application_id, "status": done.status}

    @router.post("/v1/objections/dismiss", response_model=Dismissals, responses=NOT_FOUND_OR_REFUSED)
    async def dismiss(body: DismissRequest, who: Annotated[Principal, operator]) -> dict[str, Any]:
        """Dismiss many objections at once: those named, or every open one of an application;
        each is named on its case's timeline. All must be open, or none is dismissed."""
        done = await objections.dismiss(
            deps(),
            objection_ids=body.objection_ids or (),
            application_id=body.application_id,
            note=body.note,
            by=who.subject,
        )
        return {
            "dismissed": [
                {
                    "application_id": d.application_id,
                    "status": d.status,
                    "objection_ids": list(d.objection_ids),
                }
                for d in done
            ]
        }

    @router.get("/notices", response_model=None, responses={200: _page_or_json(NoticeIndex)})
    async def notices(format: str = "html") -> HTMLResponse | JSONResponse:
        """Every public notice, as a page or as JSON."""
        views = [notice_view(n) for n in await deps().store.all_notices()]
        if format == "json":
            return JSONResponse({"items": [v.model_dump(mode="json") for v in views]})
        return HTMLResponse(render_notices_index(views))

    @router.get(
        "/notices/{notice_id}",
        response_model=None,
        responses={
            200: _page_or_json(NoticeView),
            **problem_responses(404, described={404: "No such notice (NOTICE_NOT_FOUND)"}),
        },
    )
    async def notice(
        notice_id: str, format: str = "html", application_id: Annotated[str, Query(max_length=64)] = ""
    ) -> HTMLResponse | JSONResponse:
        """One public notice: applicants, projects, voucher amounts, period, and the objection
        form while the period runs (`application_id` chosen in it when the notice lists it)."""
        doc = await deps().store.notice(notice_id)
        if doc is None:
            raise ProblemError(
                404, "NOTICE_NOT_FOUND", Bilingual(f"没有公示 {notice_id}", f"no notice {notice_id}")
            )
        view = notice_view(doc)
        if format == "json":
            return JSONResponse(view.model_dump(mode="json"))
        return HTMLResponse(
            render_notice_page(
                view, today=deps().clock.today(), form=ObjectionForm(application_id=application_id)
            )
        )

    return router
