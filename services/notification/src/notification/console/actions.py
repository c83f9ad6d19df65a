"""What operators do from the console, each in two steps: a form posts to its action, which
answers a confirmation page; that page posts the same fields again with `confirmed=yes`, and
only then is anything done, through the service layer, under the operator's identity.

Every post needs an operator's session and the session's CSRF token. An action the case's
state does not allow is refused before anything is asked of the service layer, which would
refuse it too (409, nothing changed).
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from vouchers_shared import workdays
from vouchers_shared.errors import DomainRuleError
from vouchers_shared.messaging.dlq import replay

from notification import letters_admin, objections, operations
from notification.adapters.mongo_store import StoredCase
from notification.api import REVIEW_SETTLE_WAIT_S, ObjectionRequest, ResolveRequest, ReviewRequest
from notification.console import case_view, records
from notification.console.pages import DLQ_TOPICS
from notification.console.session import Session
from notification.console.web import PREFIX, Console, Form, Refused, actor, checked_form, done, page

log = structlog.get_logger()


def _invalid(exc: ValidationError, session: Session, back: str) -> Refused:
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return Refused(422, "invalid_input", detail, session=session, back=back)


def _confirm(
    request: Request,
    session: Session,
    question: str,
    action: str,
    form: Form,
    fields: Sequence[str],
    back: str,
    facts: Sequence[tuple[str, str]] = (),
    items: Sequence[str] = (),
) -> Response:
    hidden = [(name, value) for name in fields for value in (form.values.get(name) or [""])]
    return page(
        request,
        "confirm.html.j2",
        session,
        question=question,
        action=action,
        hidden=hidden,
        facts=facts,
        items=items,
        back=back,
    )


def build(console: Console) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    async def begin(request: Request) -> tuple[Session, Form]:
        session = actor(console, request)
        return session, await checked_form(request, session)

    async def case_of(application_id: str, session: Session) -> tuple[StoredCase, records.Actions]:
        stored = await console.deps().store.load(application_id)
        if stored is None:
            raise Refused(404, "not_found", application_id, session=session)
        today = console.deps().clock.today()
        return stored, records.actions(stored.case, may_act=True, today=today)

    def refused(exc: DomainRuleError, session: Session, back: str) -> Refused:
        return Refused(409, "not_allowed", str(exc), session=session, back=back)

    @router.post("/cases/{application_id}/review")
    async def review(application_id: str, request: Request) -> Response:
        session, form = await begin(request)
        back = f"{PREFIX}/cases/{application_id}"
        stored, allowed = await case_of(application_id, session)
        decision, rules = form.get("decision"), form.all("rules")
        if not {"pass": allowed.review_pass, "reject": allowed.review_reject}.get(decision, False):
            raise Refused(409, "not_allowed", session=session, back=back)
        if decision == "reject" and (not rules or set(rules) - set(case_view.rules_held(stored.case))):
            raise Refused(422, "invalid_input", "rules", session=session, back=back)
        try:
            body = ReviewRequest(decision=decision, note=case_view.note_with_rules(form.get("note"), rules))
        except ValidationError as exc:
            raise _invalid(exc, session, back) from exc
        if not form.confirmed:
            return _confirm(
                request,
                session,
                f"confirm_review_{decision}",
                request.url.path,
                form,
                ("decision", "note", "rules"),
                back,
                facts=[("application_id", application_id), ("note", body.note)],
            )
        deps = console.deps()
        try:
            await operations.review(deps, application_id, body.decision, body.note, session.who.subject)
        except DomainRuleError as exc:
            raise refused(exc, session, back) from exc
        if decision == "reject":
            return done(back, "done_review_rejected")
        status = await operations.status_after_review(deps, application_id, REVIEW_SETTLE_WAIT_S)
        return done(
            back, "done_review_reserving" if status == "needs_review" else "done_review_passed", status=status
        )

    @router.post("/notices")
    async def open_notice(request: Request) -> Response:
        session, form = await begin(request)
        back = f"{PREFIX}/queue"
        deps = console.deps()
        awaiting = await deps.store.with_status("awaiting_notice")
        if not awaiting:
            raise Refused(409, "nothing_to_notice", session=session, back=back)
        if not form.confirmed:
            items = [f"{s.case.application_id} {s.info.get('applicant_name', '')}" for s in awaiting]
            return _confirm(
                request, session, "confirm_open_notice", request.url.path, form, (), back, items=items
            )
        try:
            opened = await operations.open_notice(deps, console.notice_days)
        except workdays.CalendarYearUnknown as exc:
            raise Refused(422, "not_allowed", str(exc), session=session, back=back) from exc
        except DomainRuleError as exc:
            raise refused(exc, session, back) from exc
        notice_id, ids = str(opened["notice_id"]), opened["application_ids"]
        await deps.store.note_opened_by(notice_id, session.who.subject)
        log.info("console_notice_opened", notice_id=notice_id, by=session.who.subject)
        return done(
            back,
            "done_notice_opened",
            notice_id=notice_id,
            starts_on=str(opened["starts_on"]),
            ends_on=str(opened["ends_on"]),
            n=str(len(ids) if isinstance(ids, list) else 0),
        )

    @router.post("/cases/{application_id}/objections")
    async def record_objection(application_id: str, request: Request) -> Response:
        session, form = await begin(request)
        back = f"{PREFIX}/cases/{application_id}"
        stored, allowed = await case_of(application_id, session)
        if not allowed.record_objection or stored.case.notice_id is None:
            raise Refused(409, "not_allowed", session=session, back=back)
        try:
            body = ObjectionRequest(
                application_id=application_id, reason=form.get("reason"), contact=form.get("contact")
            )
        except ValidationError as exc:
            raise _invalid(exc, session, back) from exc
        if not form.confirmed:
            return _confirm(
                request,
                session,
                "confirm_record_objection",
                request.url.path,
                form,
                ("reason", "contact"),
                back,
                facts=[("reason", body.reason), ("caller_contact", body.contact)],
            )
        deps = console.deps()
        try:
            filed = await objections.object_to(
                deps,
                stored.case.notice_id,
                application_id,
                body.reason,
                body.contact,
                most_open=console.most_open,
            )
        except DomainRuleError as exc:
            raise refused(exc, session, back) from exc
        if filed.new:
            await deps.store.note_recorded_by(filed.objection_id, session.who.subject)
        return done(
            back, "done_objection_recorded" if filed.new else "done_objection_known", id=filed.objection_id
        )

    @router.post("/objections/{objection_id}/resolve")
    async def resolve(objection_id: str, request: Request) -> Response:
        session, form = await begin(request)
        deps = console.deps()
        objection = await deps.store.objection(objection_id)
        if objection is None:
            raise Refused(404, "not_found", objection_id, session=session)
        application_id = str(objection["application_id"])
        back = f"{PREFIX}/cases/{application_id}"
        _, allowed = await case_of(application_id, session)
        decision = form.get("decision")
        if objection_id not in allowed.resolve or decision not in ("upheld", "dismissed"):
            raise Refused(409, "not_allowed", session=session, back=back)
        try:
            body = ResolveRequest(upheld=decision == "upheld", note=form.get("note"))
        except ValidationError as exc:
            raise _invalid(exc, session, back) from exc
        if not form.confirmed:
            return _confirm(
                request,
                session,
                f"confirm_resolve_{decision}",
                request.url.path,
                form,
                ("decision", "note"),
                back,
                facts=[("objection", objection_id), ("note", body.note)],
            )
        try:
            if body.upheld:
                await objections.uphold(deps, objection_id, body.note, session.who.subject)
            else:
                await objections.dismiss(
                    deps, objection_ids=[objection_id], note=body.note, by=session.who.subject
                )
        except DomainRuleError as exc:
            raise refused(exc, session, back) from exc
        return done(back, "done_resolved")

    @router.post("/cases/{application_id}/objections/dismiss")
    async def dismiss_all(application_id: str, request: Request) -> Response:
        session, form = await begin(request)
        back = f"{PREFIX}/cases/{application_id}"
        _, allowed = await case_of(application_id, session)
        if not allowed.resolve:
            raise Refused(409, "not_allowed", session=session, back=back)
        try:
            body = ResolveRequest(upheld=False, note=form.get("note"))
        except ValidationError as exc:
            raise _invalid(exc, session, back) from exc
        if not form.confirmed:
            return _confirm(
                request,
                session,
                "confirm_dismiss_all",
                request.url.path,
                form,
                ("note",),
                back,
                facts=[("note", body.note)],
                items=sorted(allowed.resolve),
            )
        try:
            await objections.dismiss(
                console.deps(), application_id=application_id, note=body.note, by=session.who.subject
            )
        except DomainRuleError as exc:
            raise refused(exc, session, back) from exc
        return done(back, "done_resolved")

    @router.post("/letters/{letter_id}/send-again")
    async def send_again(letter_id: str, request: Request) -> Response:
        session, form = await begin(request)
        store = console.deps().store
        letter = await store.letters.find_one({"_id": letter_id})
        if letter is None:
            raise Refused(404, "not_found", letter_id, session=session)
        back = f"{PREFIX}/cases/{letter['application_id']}"
        if not letters_admin.may_send_again(letter):
            raise Refused(409, "not_allowed", session=session, back=back)
        if not form.confirmed:
            return _confirm(
                request,
                session,
                "confirm_send_again",
                request.url.path,
                form,
                (),
                back,
                facts=[("letters", letter_id)],
            )
        try:
            await letters_admin.send_again_now(store, letter_id, session.who.subject)
        except DomainRuleError as exc:
            raise refused(exc, session, back) from exc
        return done(back, "done_sent_again")

    @router.post("/dead-letters/replay")
    async def replay_dead_letter(request: Request) -> Response:
        session, form = await begin(request)
        topic, at = form.get("topic"), form.get("at")
        back = f"{PREFIX}/dead-letters?topic={topic}"
        partition, _, offset = at.partition(":")
        if topic not in DLQ_TOPICS or not (partition.isdigit() and offset.isdigit()):
            raise Refused(422, "invalid_input", at, session=session, back=f"{PREFIX}/dead-letters")
        if not form.confirmed:
            return _confirm(
                request,
                session,
                "confirm_replay",
                request.url.path,
                form,
                ("topic", "at"),
                back,
                facts=[("topic", topic), ("position", at)],
            )
        count = await replay(console.settings, topic, {(int(partition), int(offset))})
        log.info("console_dead_letter_replayed", topic=topic, at=at, count=count, by=session.who.subject)
        return done(back, "done_replayed", n=str(count))

    return router
