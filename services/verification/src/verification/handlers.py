"""Checking the materials of each submitted application; asking the CPA platform again later."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from aiokafka.errors import KafkaError
from pymongo.errors import ConnectionFailure
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.clock import Clock
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.events import ApplicationSubmitted, VerificationCompleted, tolerant
from vouchers_shared.messaging.envelope import Envelope, derived_event_id
from vouchers_shared.messaging.fold import each_in_order
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing, Publisher
from vouchers_shared.observability import metrics

from verification.adapters.batched_store import BatchedStore
from verification.adapters.cpa_platform import collect_answers
from verification.adapters.mongo_store import VerificationStore
from verification.domain.consent import consent_record
from verification.domain.financial import qr_queries
from verification.domain.model import MaterialParams, VerificationResult
from verification.domain.retry_policy import GiveUp, RetryAfter, give_up, next_step
from verification.domain.verify import verify

SOURCE = "/vouchers/verification"
log = structlog.get_logger()


@dataclass(frozen=True)
class RetrySettings:
    max_attempts: int
    base_delay_s: float
    cap_s: float


@dataclass
class Deps:
    store: VerificationStore
    platform: Callable[[], Any]
    params: MaterialParams
    clock: Clock
    retry: RetrySettings


def verdict_event(
    application_id: str, uscc: str, result: VerificationResult, cause: str, attempt: int, now: datetime
) -> Outgoing:
    payload = VerificationCompleted(
        application_id=application_id,
        applicant_uscc=uscc,
        outcome=result.outcome,
        findings=result.findings,
        completed_at=now,
    )
    return Outgoing(
        topic=topics.VERIFICATION,
        key=uscc,
        payload=payload,
        correlation_id=application_id,
        envelope=Envelope.new(
            topics.VERIFICATION_COMPLETED,
            SOURCE,
            application_id,
            id_=derived_event_id(cause, f"verification/{attempt}"),
            time=now,
        ),
    )


async def on_submitted(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """MAT-* rules (五, 声明二) and the consent record (五(九)) of one application."""
    if inbound.envelope.type != topics.APPLICATION_SUBMITTED:
        raise PoisonMessage(f"unexpected event type {inbound.envelope.type!r}")
    event = inbound.parse(ApplicationSubmitted)
    stored = await deps.store.case(event.application_id)
    if stored is not None and "emitted" in stored:
        return [Outgoing.from_document(d) for d in stored["emitted"]]
    record = consent_record(event.application, event.application_id, event.submitted_at)
    if record is not None:
        await deps.store.record(record)
    now = deps.clock.now()
    result = await _check(event.application, deps)
    fields: dict[str, Any] = {
        "application": event.application.model_dump(mode="json"),
        "cause": inbound.envelope.id,
    }
    if result.outcome == "pending":
        # The first unanswered attempt goes through the same policy as the later ones.
        step = _after_unanswered(1, now, now, deps.retry)
        if isinstance(step, GiveUp):
            result = give_up(result, attempts=1, first_pending_at=now)
        else:
            fields.update(attempts=1, first_pending_at=now, next_attempt_at=step.at)
    out = verdict_event(event.application_id, event.applicant_uscc, result, inbound.envelope.id, 1, now)
    fields.update(emitted=[out.to_document()], outcome=result.outcome, pending=result.outcome == "pending")
    await deps.store.save_case(event.application_id, fields)
    metrics.VERDICTS.labels(check="verification", outcome=result.outcome).inc()
    return [out]


async def fold_batch(batch: Sequence[Inbound], deps: Deps) -> list[Outgoing]:
    """The submissions of a batch, each as `on_submitted` takes it, on a store that takes their
    cases as new and writes in bulk at the end (see BatchedStore)."""
    store = BatchedStore(deps.store)
    store.expect_new(_application_ids(batch))
    on_batch = replace(deps, store=store)
    events = await each_in_order(batch, lambda inbound: on_submitted(inbound, on_batch))
    await store.flush()
    return events


def _application_ids(batch: Sequence[Inbound]) -> list[str]:
    """The subjects of the batch's submissions (what is wrong with another is the handler's)."""
    return [
        i.envelope.subject
        for i in batch
        if i.envelope.subject and i.envelope.type == topics.APPLICATION_SUBMITTED
    ]


async def _check(application: Application, deps: Deps) -> VerificationResult:
    queries = qr_queries(application, params=deps.params)
    answers = await collect_answers(await deps.platform(), queries) if queries else {}
    return verify(application, qr_answers=answers, params=deps.params)


def _after_unanswered(
    attempt: int, first_pending_at: datetime, now: datetime, retry: RetrySettings
) -> RetryAfter | GiveUp:
    return next_step(
        attempt,
        first_pending_at,
        now,
        max_attempts=retry.max_attempts,
        base_delay_s=retry.base_delay_s,
        cap_s=retry.cap_s,
    )


async def recheck_due(deps: Deps, publisher: Publisher) -> int:
    """Ask the platform again for every pending case that is due; give up into review."""
    now = deps.clock.now()
    due = await deps.store.due(now)
    for doc in due:
        try:
            await _recheck(doc, now, deps, publisher)
        except (ConnectionFailure, KafkaError):
            raise  # the store or the broker is away: the whole round waits for the next one
        except Exception as exc:
            # One case that cannot be checked must not hold up the others behind it.
            log.warning("qr_recheck_case_failed", application_id=doc["_id"], error=repr(exc))
            await deps.store.save_case(
                doc["_id"], {"next_attempt_at": now + timedelta(seconds=deps.retry.base_delay_s)}
            )
    return len(due)


async def _recheck(doc: dict[str, Any], now: datetime, deps: Deps, publisher: Publisher) -> None:
    application = tolerant(Application, doc["application"])  # stored by this or a newer replica
    attempt = int(doc["attempts"]) + 1
    result = await _check(application, deps)
    fields: dict[str, Any] = {"attempts": attempt}
    if result.outcome == "pending":
        step = _after_unanswered(attempt, doc["first_pending_at"], now, deps.retry)
        if not isinstance(step, GiveUp):
            await deps.store.save_case(doc["_id"], {**fields, "next_attempt_at": step.at})
            return
        result = give_up(result, attempts=attempt, first_pending_at=doc["first_pending_at"])
    out = verdict_event(doc["_id"], application.applicant.uscc, result, doc["cause"], attempt, now)
    await publisher.publish(out)
    await deps.store.save_case(
        doc["_id"],
        {
            **fields,
            "pending": False,
            "outcome": result.outcome,
            "emitted": [*doc["emitted"], out.to_document()],
        },
        settled=True,
    )
    metrics.VERDICTS.labels(check="verification", outcome=result.outcome).inc()
    log.info("verification_rechecked", application_id=doc["_id"], outcome=result.outcome)
