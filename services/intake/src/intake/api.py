"""Intake's HTTP API: filing, reading, reference data, local-mode tokens."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from vouchers_shared.application import Application
from vouchers_shared.auth import Principal, Role, TokenService, requires
from vouchers_shared.clock import Clock
from vouchers_shared.problem_answers import invalid
from vouchers_shared.problem_docs import problem_responses
from vouchers_shared.problems import Bilingual, ProblemError
from vouchers_shared.rate_limit import RateLimiter
from vouchers_shared.types import Uscc

from intake.adapters.mongo_store import IntakeStore
from intake.domain.status import OFFICIAL_WORDING, StatusView
from intake.rate_limit import refusal
from intake.refdata_loader import RefdataLoader
from intake.responses import (
    Accepted,
    ApplicationDetail,
    ApplicationPage,
    IssuedToken,
    RefdataLoaded,
)
from intake.submission import Submissions
from intake.views import render


@dataclass
class ApiDeps:
    store: IntakeStore
    submissions: Submissions
    refdata: RefdataLoader
    tokens: TokenService
    clock: Clock
    limiter: RateLimiter | None = None  # submissions per token subject; None: unlimited


class TokenRequest(BaseModel):
    role: Role
    uscc: Uscc | None = None


def build_router(deps: Callable[[], ApiDeps], *, local_mode: bool) -> APIRouter:
    router = APIRouter(prefix="/v1")
    tokens = lambda: deps().tokens  # noqa: E731
    submitter = Depends(requires(tokens, "submitter"))
    reader = Depends(requires(tokens, "submitter", "operator", "auditor"))
    operator = Depends(requires(tokens, "operator"))

    @router.post(
        "/applications",
        status_code=202,
        response_model=Accepted,
        responses=problem_responses(
            403,
            409,
            422,
            429,
            described={
                403: "Another applicant's filing (NOT_YOUR_APPLICANT)",
                409: "The Idempotency-Key was used with another body (IDEMPOTENCY_KEY_REUSED)",
                422: "Not a valid application (VALIDATION_FAILED, every problem in `errors`), "
                "another program year (PROGRAM_YEAR_MISMATCH) or outside the filing "
                "window (FILING_WINDOW_CLOSED)",
            },
        ),
    )
    async def file_application(
        application: Application,
        who: Annotated[Principal, submitter],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Any:
        """File an application (七(二)); the same Idempotency-Key and body files nothing new."""
        limiter = deps().limiter
        if limiter is not None and (refused := refusal(limiter, who.subject)) is not None:
            raise refused
        filed = await deps().submissions.file(application, who, idempotency_key)
        return JSONResponse({"application_id": filed.application_id, "status": filed.status}, status_code=202)

    @router.get(
        "/applications/{application_id}",
        response_model=ApplicationDetail,
        responses=problem_responses(
            404, described={404: "No such application, or another applicant's (APPLICATION_NOT_FOUND)"}
        ),
    )
    async def read_application(application_id: str, who: Annotated[Principal, reader]) -> dict[str, Any]:
        """One application with its checks, voucher, timeline and working days elapsed, and the
        application as filed (`application`: applicant, project, contracts, materials)."""
        view = await _view(deps(), application_id)
        if view is None or not who.may_see(view.applicant_uscc or ""):
            # The same answer for another applicant's: not even that it exists.
            raise ProblemError(404, "APPLICATION_NOT_FOUND", Bilingual("没有此申请", "no such application"))
        filed = await deps().store.application(application_id)
        return {
            **render(view, deps().clock.today(), who),
            "application": filed.get("application") if filed else None,
        }

    @router.get(
        "/applications",
        response_model=ApplicationPage,
        responses=problem_responses(
            403,
            described={
                403: "A submitter asking for another applicant's (NOT_YOUR_APPLICANT), or a role that "
                "may not read (ROLE_NOT_ALLOWED)"
            },
        ),
    )
    async def list_applications(
        who: Annotated[Principal, reader],
        applicant_uscc: str | None = None,
        status: Annotated[str | None, Query(pattern="^(" + "|".join(OFFICIAL_WORDING) + ")$")] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Applications, paged; a submitter sees only its own applicant's."""
        if who.role == "submitter":
            if applicant_uscc not in (None, who.uscc):
                raise ProblemError(
                    403,
                    "NOT_YOUR_APPLICANT",
                    Bilingual(
                        "申报账号只能查看其所属单位的申请",
                        "a submitter reads only its own applicant's applications",
                    ),
                )
            applicant_uscc = who.uscc
        filters: dict[str, Any] = {}
        if applicant_uscc:
            filters["applicant_uscc"] = applicant_uscc
        if status:
            filters["status"] = status
        total, views = await deps().store.list_views(filters, (page - 1) * page_size, page_size)
        today = deps().clock.today()
        return {
            "items": [render(v, today, who) for v in views],
            "total": total,
            "page": page,
            "page_size": page_size,
        }

    @router.post(
        "/refdata/{kind}",
        status_code=202,
        response_model=RefdataLoaded,
        responses=problem_responses(
            404,
            413,
            422,
            described={
                404: "No such kind (UNKNOWN_KIND)",
                413: "Over the limit of items per load (TOO_MANY_ITEMS) or of the body (BODY_TOO_LARGE)",
                422: "Items not valid, or not together (VALIDATION_FAILED): every item and "
                "field at fault in `errors`",
            },
        ),
    )
    async def load_refdata(
        kind: str,
        items: Annotated[list[dict[str, Any]], Field(max_length=200_000)],
        who: Annotated[Principal, operator],
    ) -> Any:
        """Replace one kind of reference data with a new versioned snapshot."""
        snapshot = await deps().refdata.load(kind, items, loaded_by=who.subject)
        return {"kind": snapshot.kind, "version": snapshot.version, "items": len(snapshot.items)}

    if not local_mode:
        return router  # outside local mode tokens come from the identity provider

    @router.post(
        "/dev/tokens",
        response_model=IssuedToken,
        responses=problem_responses(
            422, described={422: "Not a valid request, or a submitter token without its USCC (USCC_REQUIRED)"}
        ),
    )
    async def issue_token(request: TokenRequest, _who: Annotated[Principal, operator]) -> Any:
        """Local mode only: issue a token for trying the API."""
        try:
            return {"token": deps().tokens.issue(request.role, request.uscc)}
        except ValueError as exc:
            raise invalid(
                [{"field": "uscc", "code": "USCC_REQUIRED", "message": str(exc)}], "USCC_REQUIRED"
            ) from exc

    return router


async def _view(deps: ApiDeps, application_id: str) -> StatusView | None:
    view = await deps.store.load_view(application_id)
    if view is not None:
        return view
    doc = await deps.store.application(application_id)
    if doc is None:
        return None
    return StatusView(
        application_id=application_id,
        applicant_uscc=doc["applicant_uscc"],
        submitted_at=doc["submitted_at"],
        timeline=[{"at": doc["submitted_at"], "event": "received"}],
    )
