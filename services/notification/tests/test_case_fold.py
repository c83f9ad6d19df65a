"""A batch of case events folded whole ends as the same events one at a time: the same cases,
index entries, letters and decision events, on either kind of store. A batch that cannot be
sure no other writer wrote its cases in between refuses to write them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from notification import handlers
from notification.adapters.case_batch import CaseBatch, CasesChanged
from notification.adapters.mongo_store import DATABASE, NotificationStore
from notification.handlers import Deps, fold_cases, on_event
from notification_testkit import OPENED, USCC, at, finding, sample_application
from pydantic import BaseModel
from vouchers_shared import topics
from vouchers_shared.events import (
    ApplicationSubmitted,
    CoiAssessed,
    EligibilityAssessed,
    VerificationCompleted,
)
from vouchers_shared.guarded import GuardBusy, guard
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.testing.memory_mongo import MemoryMongo

COLLECTIONS = ("cases", "case_index", "letters", "letters_due", "verdict_findings")


class Recorder:
    def __init__(self) -> None:
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)


class Clock:
    def now(self) -> Any:
        return at(60)

    def today(self) -> Any:
        return at(60).date()


def service(ferretdb: bool) -> tuple[Deps, MemoryMongo, Recorder]:
    mongo, publisher = MemoryMongo(ferretdb=ferretdb), Recorder()
    store = NotificationStore(mongo.as_client())
    return Deps(store, Clock(), timedelta(hours=6), publisher), mongo, publisher  # type: ignore[arg-type]


def inbound(application_id: str, event_type: str, payload: BaseModel, minutes: int) -> Inbound:
    event_id = f"{application_id}-{minutes}"
    envelope = Envelope.new(event_type, "/tests", application_id, time=at(minutes), id_=event_id)
    return Inbound("t", 0, minutes, USCC, envelope.headers(), payload.model_dump_json().encode(), envelope)


def events_of(application_id: str, eligibility: str, start: int) -> list[Inbound]:
    """An application's submission and its three verdicts; eligibility's is `eligibility`."""
    ids = {"application_id": application_id, "applicant_uscc": USCC}
    found = [finding("AMT-RATE"), *([finding("ELIG-LOCATION", "fail")] if eligibility == "fail" else [])]
    payloads: list[tuple[str, BaseModel]] = [
        (
            topics.APPLICATION_SUBMITTED,
            ApplicationSubmitted(**ids, submitted_at=OPENED, application=sample_application()),
        ),
        (
            topics.COI_ASSESSED,
            CoiAssessed(**ids, outcome="clear", contracts=[], findings=[], assessed_at=at(1)),
        ),
        (
            topics.ELIGIBILITY_ASSESSED,
            EligibilityAssessed(**ids, outcome=eligibility, findings=found, assessed_at=at(2)),
        ),
        (
            topics.VERIFICATION_COMPLETED,
            VerificationCompleted(**ids, outcome="verified", findings=[], completed_at=at(3)),
        ),
    ]
    return [inbound(application_id, kind, body, start + n) for n, (kind, body) in enumerate(payloads)]


def batch() -> list[Inbound]:
    """A rejected application, one left waiting for verification, and one only submitted."""
    rejected, waiting = events_of("APP-1", "fail", 0), events_of("APP-2", "fail", 10)[:3]
    return [*rejected[:2], *waiting, *rejected[2:], events_of("APP-3", "pass", 20)[0]]


def docs(mongo: MemoryMongo, name: str) -> dict[Any, Any]:
    found: dict[Any, Any] = mongo[DATABASE][name].docs  # type: ignore[attr-defined]
    return found


def unrevised(found: dict[Any, Any]) -> dict[Any, Any]:
    """The documents without their revision: a batch writes a case once, not once per event."""
    return {k: {f: v for f, v in d.items() if f != "revision"} for k, d in found.items()}


@pytest.fixture(autouse=True)
def fixed_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "wall_clock", lambda: at(90))


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_a_folded_batch_ends_as_its_events_one_at_a_time(ferretdb: bool) -> None:
    folded_deps, folded, folded_out = service(ferretdb)
    plain_deps, plain, plain_out = service(ferretdb)

    assert await fold_cases(batch(), folded_deps) == ()
    for record in batch():
        await on_event(record, plain_deps)

    for name in COLLECTIONS:
        assert unrevised(docs(folded, name)) == unrevised(docs(plain, name)), name
    assert [e.envelope.id for e in folded_out.published] == [e.envelope.id for e in plain_out.published]
    assert [e.body() for e in folded_out.published] == [e.body() for e in plain_out.published]
    assert set(docs(folded, "cases")) == {"APP-1", "APP-2", "APP-3"}
    assert [d["_id"] for d in docs(folded, "letters").values()] == [
        d["_id"] for d in docs(plain, "letters").values()
    ]
    assert len(docs(folded, "letters")) == 1  # APP-1's rejection; APP-2 waits for verification
    assert docs(folded, "guard_leases") == {}  # every guard given back


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_a_batch_seen_again_changes_nothing_and_publishes_the_same_events(ferretdb: bool) -> None:
    deps, mongo, out = service(ferretdb)
    await fold_cases(batch(), deps)
    before = {name: unrevised(docs(mongo, name)) for name in COLLECTIONS}
    first = [e.envelope.id for e in out.published]
    await fold_cases(batch(), deps)
    assert {name: unrevised(docs(mongo, name)) for name in COLLECTIONS} == before
    assert {e.envelope.id for e in out.published} == set(first)  # receivers drop the repeats


async def test_a_case_written_by_another_writer_meanwhile_stops_the_batch() -> None:
    deps, mongo, _ = service(ferretdb=False)
    await fold_cases(batch()[:2], deps)
    stored_before = dict(docs(mongo, "cases"))
    async with CaseBatch.of(deps.store, ["APP-1"]) as cases:
        other = await deps.store.load("APP-1")
        assert other is not None
        await deps.store.save(other)  # the API or the sweep, between the batch's read and write
        with pytest.raises(CasesChanged):
            await cases.write([cases.cases["APP-1"]])
    assert docs(mongo, "cases")["APP-1"]["revision"] == stored_before["APP-1"]["revision"] + 1


async def test_a_case_another_writer_guards_sends_the_batch_record_by_record_holding_nothing() -> None:
    deps, mongo, _ = service(ferretdb=True)
    async with guard(deps.store.cases, "APP-2"):
        held = dict(docs(mongo, "guard_leases"))
        with pytest.raises(GuardBusy):
            await fold_cases(batch(), deps)
        assert docs(mongo, "guard_leases") == held  # the batch gave back what it took
    assert docs(mongo, "cases") == {}


async def test_a_batch_whose_guards_ran_out_does_not_write_its_cases_by_id() -> None:
    deps, mongo, _ = service(ferretdb=True)
    await fold_cases(batch()[:2], deps)
    before = dict(docs(mongo, "cases"))
    now = [1_000.0]
    async with CaseBatch.of(deps.store, ["APP-1"], clock=lambda: now[0]) as cases:
        now[0] += 60.0  # a stalled write: past the end of every slot the batch took
        with pytest.raises(CasesChanged):
            await cases.write([cases.cases["APP-1"]])
    assert docs(mongo, "cases") == before
