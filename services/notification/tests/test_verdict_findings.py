"""A verdict's findings that passed are kept beside the case, not in it: the case holds what its
decisions rest on, every write of it after the verdict leaves the findings alone, and the case
is shown with all of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from notification.adapters.case_batch import CaseBatch
from notification.adapters.mongo_store import DATABASE, NotificationStore, StoredCase
from notification.domain.case import decide, open_case, record
from notification.domain.verdicts import Verdict
from notification_testkit import OPENED, USCC, at, finding
from vouchers_shared.store import SEALED, opened, sealed
from vouchers_shared.testing.memory_mongo import MemoryMongo

RATE, CAP, LOCATION = finding("AMT-RATE"), finding("AMT-CAP", "review"), finding("ELIG-LOCATION", "fail")


def verdict(
    event_id: str, *findings: Any, outcome: str = "fail", minutes: int = 2, check: str = "eligibility"
) -> Verdict:
    return Verdict.model_validate(
        {"check": check, "outcome": outcome, "findings": findings, "event_id": event_id, "at": at(minutes)}
    )


def stored_case(*verdicts: Verdict) -> StoredCase:
    case = open_case("APP-1", USCC, OPENED)
    for v in verdicts:
        case = record(case, v)
    return StoredCase(case, {}, [], [], 0)


@pytest.fixture(params=[True, False], ids=["ferretdb", "mongodb"])
def mongo(request: pytest.FixtureRequest) -> MemoryMongo:
    return MemoryMongo(ferretdb=request.param)


def docs(mongo: MemoryMongo, name: str) -> dict[Any, Any]:
    found: dict[Any, Any] = mongo[DATABASE][name].docs  # type: ignore[attr-defined]
    return found


def rules(stored: StoredCase | None) -> list[str]:
    assert stored is not None
    return [f.rule for f in stored.case.verdicts["eligibility"].findings]


async def test_the_case_keeps_what_did_not_pass_and_is_shown_with_everything(mongo: MemoryMongo) -> None:
    store = NotificationStore(mongo.as_client())
    await store.save(stored_case(verdict("e-1", RATE, CAP, LOCATION)))

    stored_findings = opened(docs(mongo, "cases")["APP-1"])["case"]["verdicts"]["eligibility"]["findings"]
    assert [f["rule"] for f in stored_findings] == ["AMT-CAP", "ELIG-LOCATION"]
    assert rules(await store.load("APP-1")) == ["AMT-CAP", "ELIG-LOCATION"]
    assert rules(await store.load_shown("APP-1")) == ["AMT-RATE", "AMT-CAP", "ELIG-LOCATION"]


async def test_a_case_read_back_decides_as_the_one_written(mongo: MemoryMongo) -> None:
    store = NotificationStore(mongo.as_client())
    written = stored_case(
        verdict("e-1", RATE, LOCATION),
        verdict("c-1", outcome="clear", check="conflict_of_interest"),
        verdict("v-1", RATE, outcome="verified", check="verification"),
    )
    await store.save(written)
    read = await store.load("APP-1")

    assert read is not None
    assert decide(read.case, at(60), timedelta(hours=6)) == decide(written.case, at(60), timedelta(hours=6))


async def test_later_writes_of_the_case_leave_the_findings_alone(mongo: MemoryMongo) -> None:
    store = NotificationStore(mongo.as_client())
    stored = stored_case(verdict("e-1", RATE, LOCATION))
    await store.save(stored)
    [kept] = docs(mongo, "verdict_findings").values()
    mark = sealed({"findings": opened(kept)["findings"][:1]}, "findings")
    kept[SEALED] = mark[SEALED]  # a mark: a rewrite would put both back

    await store.save(stored)  # from memory
    again = await store.load("APP-1")
    assert again is not None
    await store.save(again)  # as read
    async with CaseBatch.of(store, ["APP-1"]) as batch:
        await batch.write([batch.cases["APP-1"]])

    assert rules(await store.load_shown("APP-1")) == ["AMT-RATE"]
    assert docs(mongo, "cases")["APP-1"]["revision"] == 4


async def test_findings_stored_before_they_were_sealed_are_shown(mongo: MemoryMongo) -> None:
    store = NotificationStore(mongo.as_client())
    await store.save(stored_case(verdict("e-1", RATE, LOCATION)))
    [kept] = docs(mongo, "verdict_findings").values()
    assert "findings" not in kept  # sealed
    kept["findings"] = [RATE.model_dump(mode="json")]
    del kept[SEALED]

    assert rules(await store.load_shown("APP-1")) == ["AMT-RATE"]


async def test_a_newer_verdict_is_shown_with_its_own_findings(mongo: MemoryMongo) -> None:
    store = NotificationStore(mongo.as_client())
    await store.save(stored_case(verdict("e-1", RATE, LOCATION)))
    read = await store.load("APP-1")
    assert read is not None
    read.case = record(read.case, verdict("e-2", RATE, CAP, outcome="review", minutes=5))
    async with CaseBatch.of(store, ["APP-1"]) as batch:
        batch.put(read)
        await batch.write([read])

    assert rules(await store.load_shown("APP-1")) == ["AMT-RATE", "AMT-CAP"]
    assert len(docs(mongo, "verdict_findings")) == 2  # each verdict's, under its event id


async def test_a_case_stored_with_every_finding_inside_keeps_them_and_moves_them_out(
    mongo: MemoryMongo,
) -> None:
    store = NotificationStore(mongo.as_client())
    await store.save(stored_case(verdict("e-1", RATE, LOCATION)))
    legacy = docs(mongo, "cases")["APP-1"] = opened(docs(mongo, "cases")["APP-1"])  # neither sealed
    del legacy["findings_apart"]
    legacy["case"]["verdicts"]["eligibility"]["findings"] = [
        f.model_dump(mode="json") for f in (RATE, LOCATION)
    ]
    docs(mongo, "verdict_findings").clear()

    read = await store.load("APP-1")
    assert rules(read) == ["AMT-RATE", "ELIG-LOCATION"]
    assert read is not None
    await store.save(read)

    assert SEALED in docs(mongo, "cases")["APP-1"]
    assert rules(await store.load("APP-1")) == ["ELIG-LOCATION"]
    assert rules(await store.load_shown("APP-1")) == ["AMT-RATE", "ELIG-LOCATION"]
