"""Cases from verdicts: record each verdict, decide, queue the decision and the letter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from vouchers_shared import topics
from vouchers_shared.clock import Clock
from vouchers_shared.disclosure import declared_people
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.events import (
    ApplicationSubmitted,
    CoiAssessed,
    EligibilityAssessed,
    VerificationCompleted,
)
from vouchers_shared.messaging.consumer import publish_all
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing, Publisher
from vouchers_shared.observability import metrics
from vouchers_shared.store import Document

from notification.adapters.case_batch import CaseBatch
from notification.adapters.mongo_store import NotificationStore, StoredCase
from notification.domain.case import Decision, apply_decision, decide, open_case, record
from notification.domain.letters import Letter, render_approval, render_rejection
from notification.domain.verdicts import Verdict, coi_verdict, eligibility_verdict, verification_verdict
from notification.events_out import queue_decision, queue_letter
from notification.letter_sender import letter_document, wall_clock

log = structlog.get_logger()


@dataclass
class Deps:
    store: NotificationStore
    clock: Clock
    check_timeout: timedelta
    publisher: Publisher
    warning_working_days: int = 50  # 十: operators are warned before the limit
    limit_working_days: int = 60  # 十: 60个工作日


@dataclass(frozen=True)
class Filing:
    """What a case keeps of its application's filing: when, and whom its letters address."""

    submitted_at: datetime
    applicant_name: str
    project_title: str
    email: str
    people: tuple[str, ...]

    @classmethod
    def of(cls, submitted: ApplicationSubmitted) -> Filing:
        app = submitted.application
        return cls(
            submitted.submitted_at,
            app.applicant.name,
            app.project.title,
            app.applicant.contact.email,
            tuple(sorted(declared_people(app.model_dump(mode="json")))),
        )

    def info(self) -> dict[str, Any]:
        return {
            "applicant_name": self.applicant_name,
            "project_title": self.project_title,
            "email": self.email,
            "people": list(self.people),
        }


@dataclass(frozen=True)
class CaseEvent:
    """An event about a case: its filing, or a verdict. A filing is kept as `Filing` only: a
    batch holds hundreds of events, and a parsed application is large."""

    application_id: str
    uscc: str
    filing: Filing | None = None
    verdict: Verdict | None = None


def case_event(inbound: Inbound) -> CaseEvent:
    kind = inbound.envelope.type
    if kind == topics.APPLICATION_SUBMITTED:
        event = inbound.parse(ApplicationSubmitted)
        return CaseEvent(event.application_id, event.applicant_uscc, filing=Filing.of(event))
    if kind in (topics.COI_ASSESSED, topics.ELIGIBILITY_ASSESSED, topics.VERIFICATION_COMPLETED):
        verdict, application_id, uscc = _verdict(inbound)
        return CaseEvent(application_id, uscc, verdict=verdict)
    raise PoisonMessage(f"unexpected event type {kind!r} on {inbound.topic}")


def apply_to(stored: StoredCase | None, event: CaseEvent, deps: Deps) -> StoredCase:
    """The case after `event`: opened or given its verdict, then decided if it can be."""
    stored = _opened(stored, event, deps)
    if event.verdict is not None:
        stored.case = record(stored.case, event.verdict)
    settle(stored, deps)
    return stored


async def on_event(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """One event about an application: open its case or record a verdict, then decide."""
    event = case_event(inbound)
    stored = apply_to(await deps.store.load(event.application_id), event, deps)
    await deps.store.save(stored)
    await flush(stored, deps)
    return ()


async def fold_cases(batch: Sequence[Inbound], deps: Deps) -> Sequence[Outgoing]:
    """A batch of events as `on_event` takes them one by one, each case read once at most and
    written in bulk (see CaseBatch); then the decisions' events, published together, and the letters,
    handed over together, before the cases are written once more without them.

    A case this process has not written is taken as new, unread: the consumer of a partition is
    the only writer that opens cases, and in a backlog an application's verdicts often come a
    batch ahead of its filing (a fetch holds fewer filings than verdicts). One stored after all
    (another process's, before a rebalance or a restart) is found by its insert, read then, and
    the batch's records applied to it again."""
    events = [case_event(inbound) for inbound in batch]
    ids = list(dict.fromkeys(e.application_id for e in events))
    partitions = {e.application_id: inbound.partition for inbound, e in zip(batch, events, strict=True)}
    async with CaseBatch.of(deps.store, ids, partitions=partitions, new=ids) as cases:
        touched = _apply_all(batch, events, cases, deps)
        if taken := await cases.write(list(touched.values())):  # cases stored after all
            again = [
                (inbound, e) for inbound, e in zip(batch, events, strict=True) if e.application_id in taken
            ]
            touched.update(_apply_all([i for i, _ in again], [e for _, e in again], cases, deps))
            await cases.write([touched[i] for i in taken])
        pending = [s for s in touched.values() if _passes_something_on(s)]
        await publish_all(deps.publisher, [Outgoing.from_document(d) for s in pending for d in s.outbox])
        await deps.store.hand_over_letters([doc for s in pending for doc in _hand_over(s)])
        await cases.write(pending)
    return ()


def _apply_all(
    batch: Sequence[Inbound], events: Sequence[CaseEvent], cases: CaseBatch, deps: Deps
) -> dict[str, StoredCase]:
    """Apply `events` in order to the batch's cases; the cases they touched, by id."""
    touched: dict[str, StoredCase] = {}
    for inbound, event in zip(batch, events, strict=True):
        with inbound.log_context():
            stored = apply_to(cases.cases.get(event.application_id), event, deps)
        cases.put(stored)
        touched[event.application_id] = stored
    return touched


def _passes_something_on(stored: StoredCase) -> bool:
    """The case has events to publish or letters to hand over."""
    return bool(stored.outbox or _letters_to_hand_over(stored))


def _letters_to_hand_over(stored: StoredCase) -> list[Document]:
    return [item for item in stored.letters if not item.get("handed_over")]


def _hand_over(stored: StoredCase) -> list[Document]:
    """The case's letters as handed over, which the case then keeps by id only; its outbox is
    taken as published."""
    handed = []
    for item in _letters_to_hand_over(stored):
        letter = Letter.model_validate(item["letter"])
        handed.append(letter_document(letter, item["letter_id"], wall_clock()))
        del item["letter"]  # the case keeps the letter's id, so it is never queued twice
        item["handed_over"] = True
    stored.outbox = []
    return handed


def _verdict(inbound: Inbound) -> tuple[Verdict, str, str]:
    event_id = inbound.envelope.id
    kind = inbound.envelope.type
    if kind == topics.COI_ASSESSED:
        coi = inbound.parse(CoiAssessed)
        return coi_verdict(coi, event_id), coi.application_id, coi.applicant_uscc
    if kind == topics.ELIGIBILITY_ASSESSED:
        elig = inbound.parse(EligibilityAssessed)
        return eligibility_verdict(elig, event_id), elig.application_id, elig.applicant_uscc
    ver = inbound.parse(VerificationCompleted)
    return verification_verdict(ver, event_id), ver.application_id, ver.applicant_uscc


def _opened(stored: StoredCase | None, event: CaseEvent, deps: Deps) -> StoredCase:
    filing = event.filing
    if stored is None:
        opened = filing.submitted_at if filing else deps.clock.now()
        stored = StoredCase(open_case(event.application_id, event.uscc, opened), {}, [], [], 0)
    if filing is not None and not stored.info:
        stored.info = filing.info()
        stored.case = stored.case.model_copy(update={"opened_at": filing.submitted_at})
    return stored


def settle(stored: StoredCase, deps: Deps) -> None:
    """Decide if the verdicts allow it (or the timeout passed); queue event and letter."""
    if not stored.info:
        return  # the submission itself has not arrived yet: no letter could be addressed
    decision = decide(stored.case, deps.clock.now(), deps.check_timeout)
    if decision is None:
        return
    stored.case = apply_decision(stored.case, decision)
    record_decision(stored, decision)


def record_decision(stored: StoredCase, decision: Decision) -> None:
    queue_decision(stored, decision)
    metrics.VERDICTS.labels(check="case", outcome=decision.status).inc()
    if decision.status == "rejected":
        queue_letter(
            stored,
            render_rejection(
                decision_id=decision.decision_id,
                application_id=stored.case.application_id,
                applicant_name=stored.info["applicant_name"],
                project_title=stored.info["project_title"],
                failed_rules=decision.failed_rules,
                reasons=decision.reasons,
                decided_on=decision.decided_at.date(),
                to=stored.info["email"],
                own_people=stored.info.get("people", ()),
            ),
        )  # none known (an older case): all masked
    log.info("case_decided", application_id=stored.case.application_id, status=decision.status)


def queue_approval_letter(stored: StoredCase) -> None:
    case = stored.case
    voucher = case.voucher
    if voucher is None or case.approved_on is None or case.decision_id is None:
        return
    queue_letter(
        stored,
        render_approval(
            decision_id=case.decision_id,
            application_id=case.application_id,
            applicant_name=stored.info["applicant_name"],
            project_title=stored.info["project_title"],
            amount_cny=voucher.total_cny,
            granted_on=case.approved_on,
            to=stored.info["email"],
        ),
    )


async def flush(stored: StoredCase, deps: Deps) -> None:
    """Publish the case's outbox and hand its queued letters to the sender, then clear both.

    A crash in between publishes again (same event ids) or hands over again (same letter id):
    receivers and the letters collection drop the repeat.
    """
    if not _passes_something_on(stored):
        return
    await publish_all(deps.publisher, [Outgoing.from_document(doc) for doc in stored.outbox])
    await deps.store.hand_over_letters(_hand_over(stored))
    await deps.store.save(stored)
