"""The objection form of the public notice page (九 社会公示及征求意见), filed without script.

`POST /notices/{notice_id}/objections` takes the page's form (`application/x-www-form-urlencoded`)
and files it as `POST /v1/notices/{notice_id}/objections` does: the same fields and lengths
(`ObjectionFields`), the same rates per client address and per contact (the same limiters, so
the form and the API count together), the same cap per application and the same
de-duplication. It answers with pages: the reference number and what happens next (`201`, or
`200` with the first one's number for the same objection again); the form again with what was
entered and a message by each field in error (`422`; `400` when the hidden field was filled
in, `429` with `Retry-After` past a rate); or a page saying why it cannot be taken (no such
notice or application, outside the notice period, the cap reached). A body over the service's
limit gets an HTML `413` too (`html_when_form_too_large`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from vouchers_shared.body_limit import TooLargeAnswer
from vouchers_shared.errors import DomainRuleError

from notification import objections, operations
from notification.api import ObjectionPolicy
from notification.domain.notice_page import (
    NoticeView,
    notice_view,
    render_notice_page,
    render_objection_filed,
    render_objection_refused,
)
from notification.domain.objection_form import (
    FIELDS,
    FORM_ERROR,
    HONEYPOT,
    MAX_LENGTHS,
    FormUnreadable,
    ObjectionForm,
    check,
    parse_form,
)
from notification.domain.objections import normal_contact
from notification.domain.templating import chinese_date
from notification.errors import IllegalTransitionError, ObjectionLimitError, OutsideNoticePeriodError
from notification.handlers import Deps

FORM_PATH = re.compile(r"^/notices/([^/]+)/objections$")
NO_STORE = {"Cache-Control": "no-store"}  # pages holding what one objector typed
FORM_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": list(FIELDS),
                "properties": {
                    **{name: {"type": "string", "maxLength": MAX_LENGTHS[name]} for name in FIELDS},
                    HONEYPOT: {
                        "type": "string",
                        "maxLength": 0,
                        "description": "hidden on the page and left empty; filled in, refused",
                    },
                },
            }
        }
    },
}
_HTML = {"text/html": {"schema": {"type": "string"}}}
PAGES: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": _HTML}
    for code, what in (
        (200, "filed before: the first objection's reference number"),
        (201, "filed: its reference number and what happens next"),
        (400, "the hidden field filled in, or a body the page's form does not send"),
        (404, "no such notice, or the notice does not list the application"),
        (
            409,
            "outside the notice period, the application withdrawn or decided, or its cap of open "
            "objections reached",
        ),
        (413, "a body over HTTP_MAX_BODY_BYTES"),
        (415, "not application/x-www-form-urlencoded"),
        (422, "the form again with a message by each field in error"),
        (429, "the form again, saying when to try again (Retry-After)"),
    )
}


def build_form_router(deps: Callable[[], Deps], policy: ObjectionPolicy) -> APIRouter:
    router = APIRouter()

    @router.get("/notices/{notice_id}/objections", include_in_schema=False)
    async def form_again(notice_id: str) -> RedirectResponse:
        """The form lives on the notice page (a reload after filing, a link kept)."""
        return RedirectResponse(f"/notices/{quote(notice_id, safe='')}#objection-form", status_code=303)

    @router.post(
        "/notices/{notice_id}/objections",
        response_class=HTMLResponse,
        responses=PAGES,
        openapi_extra={"requestBody": FORM_BODY},
    )
    async def file_form(notice_id: str, request: Request) -> HTMLResponse:
        """The notice page's objection form (form-encoded), answered with a page."""
        doc = await deps().store.notice(notice_id)
        if doc is None:
            return _refused(404, "没有这个公示批次", f"找不到公示批次 {notice_id}，请从公示列表进入。")
        view, today = notice_view(doc), deps().clock.today()
        closed = _closed(view, today)
        if closed is not None:
            return closed
        if _media_type(request) != "application/x-www-form-urlencoded":
            return _refused(415, "无法读取提交的内容", "请使用公示页面上的表单提交异议。", view)
        try:
            form = parse_form(await request.body())
        except FormUnreadable:
            return _refused(400, "无法读取提交的内容", "提交的内容无法识别，请返回公示页面重新填写。", view)
        if form.application_id and not _listed(doc, form.application_id):
            return _not_listed(doc, form.application_id, view)
        checked = check(form)
        if isinstance(checked, ObjectionForm):
            status = 400 if FORM_ERROR in checked.errors else 422
            return _form_page(view, today, checked, status)
        client = request.client.host if request.client else "unknown"
        late = _too_many(policy, client, checked.contact)
        if late is not None:
            retry_after, message = late
            return _form_page(
                view, today, form.with_errors({FORM_ERROR: message}), 429, {"Retry-After": str(retry_after)}
            )
        try:
            filed = await objections.object_to(
                deps(),
                notice_id,
                checked.application_id,
                checked.reason,
                checked.contact,
                objector=checked.objector,
                most_open=policy.most_open,
            )
        except DomainRuleError as exc:
            return _domain_refusal(exc, view, checked.application_id, today)
        page = render_objection_filed(view, checked.application_id, filed.objection_id, new=filed.new)
        return HTMLResponse(page, status_code=201 if filed.new else 200, headers=NO_STORE)

    return router


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _listed(doc: Mapping[str, Any], application_id: str) -> bool:
    withdrawn = set(doc.get("withdrawn") or ())
    return application_id in {e["application_id"] for e in doc["entries"]} - withdrawn


def _closed(view: NoticeView, today: date) -> HTMLResponse | None:
    period = view.period(today)
    if period == "before":
        return _refused(
            409, "公示尚未开始", f"本批次公示期自{chinese_date(view.starts_on)}开始，届时方可提出异议。", view
        )
    if period == "ended":
        return _refused(
            409, "公示期已结束", f"本批次公示期已于{chinese_date(view.ends_on)}结束，不再受理异议。", view
        )
    return None


def _not_listed(doc: Mapping[str, Any], application_id: str, view: NoticeView) -> HTMLResponse:
    if application_id in {e["application_id"] for e in doc["entries"]}:
        return _refused(
            409,
            "该申请已撤销",
            f"申请 {application_id} 已因异议成立从本批次公示中撤销，不再受理针对它的异议。",
            view,
        )
    return _refused(
        404,
        "该申请不在本批次公示名单中",
        f"申请 {application_id} 不在公示批次 {view.notice_id} 的名单中，无法对它提出异议。",
        view,
    )


def _too_many(policy: ObjectionPolicy, client: str, contact: str) -> tuple[int, str] | None:
    """Seconds to wait and why, when the client address or the contact is past its rate."""
    for limiter, subject, who in (
        (policy.per_client, client, "同一网络地址"),
        (policy.per_contact, normal_contact(contact), "同一联系方式"),
    ):
        retry_after = limiter.retry_after(subject)
        if retry_after is not None:
            return retry_after, (
                f"提交过于频繁：{who}每分钟至多提交 {limiter.per_minute} 条异议。"
                f"请在 {retry_after} 秒后再提交，已填写的内容保留在下方。"
            )
    return None


def _domain_refusal(exc: DomainRuleError, view: NoticeView, application_id: str, today: date) -> HTMLResponse:
    if isinstance(exc, operations.NotFound):
        return _refused(
            404,
            "该申请不在本批次公示名单中",
            f"申请 {application_id} 已不在公示批次 {view.notice_id} 的名单中。",
            view,
        )
    if isinstance(exc, ObjectionLimitError):
        return _refused(
            409,
            "该申请的待处理异议已达上限",
            f"申请 {application_id} 已有 {exc.most_open} 条异议待处理，已达上限。"
            "工作人员处理部分异议后方可再提出，请稍后再试。",
            view,
        )
    if isinstance(exc, OutsideNoticePeriodError):
        return _closed(view, today) or _refused(409, "不在公示期内", "该申请当前不受理异议。", view)
    if isinstance(exc, IllegalTransitionError):
        return _refused(
            409, "该申请已不在公示中", f"申请 {application_id} 已有审定结果，不再受理异议。", view
        )
    return _refused(409, "异议未被受理", str(exc), view)


def _form_page(
    view: NoticeView, today: date, form: ObjectionForm, status: int, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    return HTMLResponse(
        render_notice_page(view, today=today, form=form),
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )


def _refused(status: int, title: str, message: str, view: NoticeView | None = None) -> HTMLResponse:
    notice_id = view.notice_id if view is not None else None
    return HTMLResponse(
        render_objection_refused(title, message, notice_id), status_code=status, headers=NO_STORE
    )


class _ByPath(Response):
    """The 413 of the objection form as a page; any other request's as `other` has it."""

    def __init__(self, limit: int, other: ASGIApp) -> None:
        super().__init__(status_code=413)
        self.limit, self.other = limit, other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = FORM_PATH.match(scope.get("path", ""))
        if scope.get("method") != "POST" or found is None:
            await self.other(scope, receive, send)
            return
        page = HTMLResponse(
            render_objection_refused(
                "提交的内容过多",
                f"提交的内容至多 {self.limit} 字节，请缩短异议理由后再提交。",
                found.group(1),
            ),
            status_code=413,
            headers=NO_STORE,
        )
        await page(scope, receive, send)


def html_when_form_too_large(other: TooLargeAnswer) -> TooLargeAnswer:
    """The service's 413 answer with the objection form's as a page, others' as `other`."""
    return lambda limit: _ByPath(limit, other(limit))
