"""One function per message: takes the record and the deps, returns the events to publish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.clock import Clock
from vouchers_shared.errors import PermanentError, PoisonMessage, TransientError
from vouchers_shared.events import (
    ApplicationSubmitted,
    CaseDecided,
    CoiAssessed,
    EligibilityAssessed,
    ReviewPassed,
    VoucherApproved,
    tolerant,
)
from vouchers_shared.messaging.envelope import Envelope, derived_event_id
from vouchers_shared.messaging.fold import each_in_order
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.observability import metrics
from vouchers_shared.program import ProgramParams
from vouchers_shared.refdata_store import Derived, RefdataStore, versions_of

from eligibility.adapters.batched_store import BatchedStore, KeptApplications, KeptLedgers
from eligibility.adapters.mongo_store import COI_STAGE, RULES_STAGE, ConcurrentUpdate, EligibilityStore
from eligibility.domain.amounts import Room
from eligibility.domain.coi import ReferenceGraph, assess_conflicts
from eligibility.domain.ledger import ZERO, UnreservedGrant
from eligibility.domain.rulebook import EligibilityRefs, LedgerView, Verdict, assess
from eligibility.domain.settlement import settle_review
from eligibility.refs import (
    TABLE_KINDS,
    RefTables,
    build_tables,
    coi_inputs,
    eligibility_refs,
    tables_of,
)

SOURCE = "/vouchers/eligibility"
log = structlog.get_logger()
Handler = Callable[[Inbound, "Deps"], Awaitable[Sequence[Outgoing]]]


@dataclass
class Deps:
    store: EligibilityStore
    refdata: RefdataStore
    graph: Derived[ReferenceGraph]
    params: ProgramParams
    clock: Clock
    tables: Derived[RefTables] = field(default_factory=lambda: Derived(build_tables))
    kept: KeptApplications = field(default_factory=KeptApplications)
    ledgers: KeptLedgers = field(default_factory=KeptLedgers)


async def fold_batch(batch: Sequence[Inbound], handler: Handler, deps: Deps) -> list[Outgoing]:
    """The records of a batch one after another, as `handler` takes them, on a store that reads
    each document once and writes in bulk at the end (see BatchedStore)."""
    store = BatchedStore(deps.store, deps.kept, deps.ledgers)
    needed = [n for n in map(_documents_needed, batch) if n is not None]
    await store.prefetch((i for i, _ in needed), (i for i, indexed in needed if indexed))
    on_batch = replace(deps, store=store)
    events = await each_in_order(batch, lambda inbound: handler(inbound, on_batch))
    await store.flush()
    return events


async def on_ledger_on_its_own(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """`on_rules_or_decision` for a record handled on its own, on the store itself (a batch that
    could not be folded, or a record that failed before): it may write a ledger, so no kept
    ledger is trusted after it."""
    deps.ledgers.clear()
    return await on_rules_or_decision(inbound, deps)


def _documents_needed(inbound: Inbound) -> tuple[str, bool] | None:
    """The application whose documents a record reads (and whether its applicant's contract
    index too); None for a record that reads none (a new application, a decision that does not
    touch the ledger)."""
    kind = inbound.envelope.type
    body = inbound.json() if kind in _READS_DOCUMENTS else None
    if not isinstance(body, dict) or not isinstance(body.get("application_id"), str):
        return None  # the handler finds out what is wrong with it
    if kind == topics.CASE_DECIDED and not (body.get("status") == "rejected" and body.get("final")):
        return None
    return str(body["application_id"]), kind == topics.COI_ASSESSED


_READS_DOCUMENTS = frozenset(
    {topics.COI_ASSESSED, topics.CASE_DECIDED, topics.VOUCHER_APPROVED, topics.REVIEW_PASSED}
)


def _emit(
    topic: str,
    event_type: str,
    cause: Inbound,
    purpose: str,
    payload: CoiAssessed | EligibilityAssessed,
    at: datetime,
) -> Outgoing:
    return Outgoing(
        topic=topic,
        key=payload.applicant_uscc,
        payload=payload,
        envelope=Envelope.new(
            event_type,
            SOURCE,
            payload.application_id,
            id_=derived_event_id(cause.envelope.id, purpose),
            time=at,
        ),
        correlation_id=cause.correlation_id or payload.application_id,
    )


async def _replay(doc: dict[str, Any] | None, stage: str, deps: Deps) -> list[Outgoing] | None:
    """What `stage` emitted for the application `doc`, to emit again; None if it has not run."""
    outbox = None if doc is None else await deps.store.outbox(doc, stage)
    return None if outbox is None else [Outgoing.from_document(item) for item in outbox]


async def on_submitted(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """Conflict-of-interest check (三(一)2 非关联方) of every contract's provider."""
    if inbound.envelope.type != topics.APPLICATION_SUBMITTED:
        raise PoisonMessage(f"unexpected event type {inbound.envelope.type!r}")
    event = inbound.parse(ApplicationSubmitted)
    app = event.application
    # Assessed before it is looked up: a delivery seen before (rare) finds the verdict it got
    # when its insert below fails, and re-emits that one.
    snapshots = await deps.refdata.current(("holdings", "officers", *TABLE_KINDS))
    graph, providers = coi_inputs(snapshots, deps.graph, deps.tables)
    coi = assess_conflicts(
        app,
        application_id=event.application_id,
        graph=graph,
        registered_providers=providers,
        threshold_pct=deps.params.related_party_threshold_pct,
        max_hops=deps.params.related_party_max_hops,
        assessed_at=deps.clock.now(),
    )
    coi = coi.model_copy(update={"refdata_versions": versions_of(snapshots)})
    out = _emit(topics.COI, topics.COI_ASSESSED, inbound, "coi", coi, coi.assessed_at)
    # The application and the verdict it got, in one write; a copy stored before (by a
    # delivery that stopped in between) keeps whatever verdict it already has.
    first = await deps.store.remember(
        event.application_id,
        {
            "applicant_uscc": app.applicant.uscc,
            "program_year": app.program_year,
            "submitted_at": event.submitted_at,
            "application": app.model_dump(mode="json"),
            "contracts": [f"{c.provider_uscc}|{c.contract_no}" for c in app.contracts],
            "emitted": {COI_STAGE: [out.to_document()]},
        },
    )
    if not first:
        if (
            again := await _replay(await deps.store.application(event.application_id), COI_STAGE, deps)
        ) is not None:
            return again
        await deps.store.record(event.application_id, COI_STAGE, [out.to_document()])
    metrics.VERDICTS.labels(check="conflict_of_interest", outcome=coi.outcome).inc()
    return [out]


async def on_coi_assessed(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """The rule book after the conflict check: findings, voucher, reservation on the ledger."""
    if inbound.envelope.type != topics.COI_ASSESSED:
        raise PoisonMessage(f"unexpected event type {inbound.envelope.type!r}")
    coi = inbound.parse(CoiAssessed)
    doc = await deps.store.application(coi.application_id)
    if doc is None:
        raise PermanentError(f"conflict verdict for unknown application {coi.application_id}")
    if (again := await _replay(doc, RULES_STAGE, deps)) is not None:
        return again
    app = tolerant(Application, doc["application"])  # stored by this or a newer replica
    snapshots = await deps.refdata.current(TABLE_KINDS)
    refs = eligibility_refs(
        tables_of(snapshots, deps.tables),
        app.program_year - 1,
        await deps.store.earlier_contracts(app.applicant.uscc, app.program_year, doc),
    )
    verdict, reserve = await _assess_and_reserve(app, coi, doc, refs, deps)
    event = EligibilityAssessed(
        application_id=coi.application_id,
        applicant_uscc=app.applicant.uscc,
        outcome=verdict.outcome,
        findings=verdict.findings,
        voucher=verdict.voucher,
        refdata_versions={**coi.refdata_versions, **versions_of(snapshots)},
        assessed_at=deps.clock.now(),
    )
    out = _emit(topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED, inbound, "rules", event, event.assessed_at)
    await deps.store.mark_assessed(
        coi.application_id, app.applicant.uscc, app.program_year, list(doc.get("contracts", []))
    )
    await deps.store.record(coi.application_id, RULES_STAGE, [out.to_document()])
    _count(event, reserve)
    return [out]


async def _assess_and_reserve(
    app: Application, coi: CoiAssessed, doc: dict[str, Any], refs: EligibilityRefs, deps: Deps
) -> tuple[Verdict, Decimal]:
    stored = await deps.store.ledger(app.applicant.uscc, app.program_year)
    ledger = stored
    prior = refs.prior_year_unredeemed.get(app.applicant.uscc, ZERO)
    if prior != ledger.prior_unredeemed_cny and not ledger.committed():
        ledger = ledger.model_copy(update={"prior_unredeemed_cny": prior})
    view = LedgerView(
        prior_unredeemed_cny=ledger.prior_unredeemed_cny,
        reserved_or_granted_cny=ledger.others_committed(coi.application_id),
    )
    verdict = assess(
        app,
        application_id=coi.application_id,
        submitted_at=doc["submitted_at"],
        coi=coi,
        refs=refs,
        ledger_room=view,
        params=deps.params,
    )
    after = ledger.reserve(coi.application_id, verdict.reserve_cny, deps.params.annual_cap_cny)
    try:
        await deps.store.save_ledger(stored, after)
    except ConcurrentUpdate as exc:
        raise TransientError(f"ledger {exc} moved under us") from exc
    return verdict, verdict.reserve_cny


def _count(event: EligibilityAssessed, reserved: Decimal) -> None:
    metrics.VERDICTS.labels(check="eligibility", outcome=event.outcome).inc()
    for finding in event.findings:
        metrics.RULE_OUTCOMES.labels(rule=finding.rule, result=finding.result).inc()
    if reserved:
        metrics.VOUCHERS_RESERVED_CNY.inc(float(reserved))


async def on_decision(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """A final rejection releases the reservation; an approval turns it into a grant; a passed
    review reserves the voucher against the room left now."""
    kind = inbound.envelope.type
    if kind == topics.CASE_DECIDED:
        decided = inbound.parse(CaseDecided)
        if decided.status == "rejected" and decided.final:
            await _change_ledger(decided.application_id, deps, release=True)
    elif kind == topics.VOUCHER_APPROVED:
        approved = inbound.parse(VoucherApproved)
        await _change_ledger(approved.application_id, deps, grant=approved.total_cny)
    elif kind == topics.REVIEW_PASSED:
        return await _settle_review(inbound, deps)
    else:
        raise PoisonMessage(f"unexpected event type {kind!r} on {inbound.topic}")
    return ()


async def on_rules_or_decision(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    """The ledger's one writer: the rule book's reservations and the decisions that release,
    grant or settle them, one applicant's records at a time (one partition of each topic)."""
    if inbound.topic == topics.COI:
        return await on_coi_assessed(inbound, deps)
    return await on_decision(inbound, deps)


async def _settle_review(inbound: Inbound, deps: Deps) -> Sequence[Outgoing]:
    passed = inbound.parse(ReviewPassed)
    doc = await deps.store.application(passed.application_id)
    assessed = None if doc is None else await deps.store.outbox(doc, RULES_STAGE)
    if doc is None or not assessed:
        raise PermanentError(
            f"review passed for {passed.application_id}, which the rule book has not assessed"
        )
    stage = f"review:{passed.review_id}"
    if (again := await _replay(doc, stage, deps)) is not None:
        return again
    app = Application.model_validate(doc["application"])
    proposed = EligibilityAssessed.model_validate_json(Outgoing.from_document(assessed[0]).body())
    stored = await deps.store.ledger(app.applicant.uscc, app.program_year)
    held = stored.reservation(passed.application_id)
    if held is not None or passed.application_id in stored.released:
        # Reserved when it was assessed (the review was about something else), or finally
        # rejected already: the voucher stands as the ledger has it.
        verdict = _as_reserved(proposed, held)
        after = stored
    else:
        snapshots = await deps.refdata.current(TABLE_KINDS)
        refs = eligibility_refs(tables_of(snapshots, deps.tables), app.program_year - 1, frozenset())
        prior = max(stored.prior_unredeemed_cny, refs.prior_year_unredeemed.get(app.applicant.uscc, ZERO))
        room = Room(deps.params.annual_cap_cny, prior, stored.others_committed(passed.application_id))
        verdict = settle_review(
            app,
            application_id=passed.application_id,
            proposed=proposed.findings,
            voucher=proposed.voucher,
            outcome=proposed.outcome,
            room=room,
            params=deps.params,
        )
        after = stored.model_copy(update={"prior_unredeemed_cny": prior}).reserve(
            passed.application_id, verdict.reserve_cny, deps.params.annual_cap_cny
        )
    try:
        await deps.store.save_ledger(stored, after)
    except ConcurrentUpdate as exc:
        raise TransientError(f"ledger {exc} moved under us") from exc
    event = proposed.model_copy(
        update={
            "outcome": verdict.outcome,
            "findings": verdict.findings,
            "voucher": verdict.voucher,
            "assessed_at": deps.clock.now(),
            "settles_review": passed.review_id,
        }
    )
    out = _emit(topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED, inbound, stage, event, event.assessed_at)
    await deps.store.record(passed.application_id, stage, [out.to_document()])
    _count(event, verdict.reserve_cny if after is not stored else ZERO)
    return [out]


def _as_reserved(proposed: EligibilityAssessed, held: Decimal | None) -> Verdict:
    """The rule book's verdict as the ledger holds it: passing when something is reserved."""
    voucher = proposed.voucher if held is not None else None
    if voucher is not None and voucher.total_cny != held:
        raise PermanentError(
            f"{proposed.application_id}: the ledger holds {held}, the verdict says {voucher.total_cny}"
        )
    return Verdict(
        application_id=proposed.application_id,
        outcome="pass" if voucher is not None else "fail",
        findings=proposed.findings,
        voucher=voucher,
        reserve_cny=ZERO,
    )


async def _change_ledger(
    application_id: str, deps: Deps, *, release: bool = False, grant: Decimal | None = None
) -> None:
    doc = await deps.store.application(application_id)
    if doc is None:
        raise PermanentError(f"decision for unknown application {application_id}")
    before = await deps.store.ledger(str(doc["applicant_uscc"]), int(doc["program_year"]))
    try:
        after = before.release(application_id) if release else before.grant(application_id, grant or ZERO)
    except UnreservedGrant as exc:
        metrics.UNRESERVED_GRANTS.inc()
        raise PermanentError(f"grant refused: {exc}") from exc
    try:
        await deps.store.save_ledger(before, after)
    except ConcurrentUpdate as exc:
        raise TransientError(f"ledger {exc} moved under us") from exc
    if release:
        await deps.store.mark_finally_rejected(
            application_id, str(doc["applicant_uscc"]), int(doc["program_year"])
        )
        if after is not before:
            metrics.VOUCHERS_RELEASED_CNY.inc(float(after.released.get(application_id, 0)))
    elif after is not before:
        metrics.VOUCHERS_GRANTED_CNY.inc(float(grant or ZERO))
