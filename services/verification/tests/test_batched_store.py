"""A batch of submissions folded on the batched store ends as one record at a time: the same
verdicts, cases, consent records and recheck markers; nothing is written before the flush; no
case is read; and a delivery seen before fails the fold, changing nothing stored before, and
one record at a time then re-emits the verdict it got."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from verification.adapters.batched_store import BatchedStore, CasesStoredBefore
from verification.adapters.mongo_store import DATABASE, VerificationStore
from verification.handlers import Deps, RetrySettings, fold_batch, on_submitted
from verification_testkit import PARAMS_2026, AppBuilder
from vouchers_shared.clock import FixedClock
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.store import opened
from vouchers_shared.testing.memory_mongo import MemoryMongo

from .test_qr_recheck import QR, START, Platform, submitted

COLLECTIONS = ("cases", "consent_records", "rechecks")


def service(platform: Platform) -> tuple[Deps, MemoryMongo]:
    mongo = MemoryMongo()

    async def current() -> Platform:
        return platform

    retry = RetrySettings(max_attempts=3, base_delay_s=30.0, cap_s=900.0)
    store = VerificationStore(mongo.as_client())
    return Deps(store, current, PARAMS_2026, FixedClock(START), retry), mongo  # type: ignore[arg-type]


def batch() -> list[Inbound]:
    """Two answered applications of one applicant, one the platform does not answer for yet."""
    app = AppBuilder.example().build()
    return [submitted(app, "app-1"), submitted(app, "app-2"), submitted(app, "app-3")]


def docs(mongo: MemoryMongo, name: str) -> dict[Any, Any]:
    found: dict[Any, Any] = mongo[DATABASE][name].docs  # type: ignore[attr-defined]
    return found


async def test_a_folded_batch_ends_as_one_record_at_a_time() -> None:
    folded_deps, folded = service(Platform())
    plain_deps, plain = service(Platform())

    records = batch()
    events = await fold_batch(records, folded_deps)
    one_by_one = [e for record in records for e in await on_submitted(record, plain_deps)]

    assert [e.body() for e in events] == [e.body() for e in one_by_one]
    assert [e.envelope.id for e in events] == [e.envelope.id for e in one_by_one]
    for name in COLLECTIONS:
        assert docs(folded, name) == docs(plain, name), name
    assert set(docs(folded, "rechecks")) == {"app-1", "app-2", "app-3"}  # the platform is silent


async def test_nothing_is_written_before_the_flush() -> None:
    deps, mongo = service(Platform(registered={QR}))
    store = BatchedStore(deps.store)
    await store.prefetch(["app-1", "app-2", "app-3"])
    for record in batch():
        await on_submitted(record, replace(deps, store=store))
    assert all(docs(mongo, name) == {} for name in COLLECTIONS)
    await store.flush()
    assert set(docs(mongo, "cases")) == {"app-1", "app-2", "app-3"}
    assert docs(mongo, "rechecks") == {}  # answered: nothing to ask again


async def test_the_cases_of_a_batch_are_not_read() -> None:
    deps, mongo = service(Platform(registered={QR}))
    cases = mongo.as_client()[DATABASE]["cases"]
    reads: list[Any] = []
    find_one, find = cases.find_one, cases.find
    cases.find_one = lambda *a, **k: reads.append(a) or find_one(*a, **k)  # type: ignore[method-assign]
    cases.find = lambda *a, **k: reads.append(a) or find(*a, **k)  # type: ignore[method-assign]
    await fold_batch(batch(), deps)
    assert reads == []
    assert set(docs(mongo, "cases")) == {"app-1", "app-2", "app-3"}


def stored(mongo: MemoryMongo) -> dict[str, Any]:
    return {name: copy.deepcopy(docs(mongo, name)) for name in COLLECTIONS}


async def test_a_delivery_seen_before_fails_the_fold_and_one_at_a_time_re_emits_its_verdict() -> None:
    deps, mongo = service(Platform(registered={QR}))
    records = batch()
    first = await fold_batch(records, deps)
    before = stored(mongo)

    with pytest.raises(CasesStoredBefore):
        await fold_batch(records, deps)
    assert stored(mongo) == before

    again = [e for record in records for e in await on_submitted(record, deps)]
    assert [e.body() for e in again] == [e.body() for e in first]
    assert [e.envelope.id for e in again] == [e.envelope.id for e in first]
    assert stored(mongo) == before


async def test_a_batch_with_one_case_seen_before_keeps_its_marker_and_stores_the_others() -> None:
    deps, mongo = service(Platform())  # silent: every case waits for a recheck
    records = batch()
    (seen,) = await fold_batch(records[1:2], deps)
    later = START + timedelta(hours=5)
    await mongo.as_client()[DATABASE]["rechecks"].update_one(
        {"_id": "app-2"}, {"$set": {"next_attempt_at": later}}
    )
    case_before = copy.deepcopy(docs(mongo, "cases")["app-2"])

    with pytest.raises(CasesStoredBefore, match="app-2"):
        await fold_batch(records, deps)

    assert docs(mongo, "rechecks")["app-2"]["next_attempt_at"] == later  # left as it was
    assert docs(mongo, "cases")["app-2"] == case_before
    assert set(docs(mongo, "cases")) == {"app-1", "app-2", "app-3"}
    one_by_one = [e for record in records for e in await on_submitted(record, deps)]
    assert [e.envelope.id for e in one_by_one][1] == seen.envelope.id
    assert one_by_one[1].body() == seen.body()
    assert set(docs(mongo, "rechecks")) == {"app-1", "app-2", "app-3"}


async def test_a_case_another_writer_stores_meanwhile_keeps_its_fields_and_takes_the_batchs() -> None:
    deps, mongo = service(Platform(registered={QR}))
    store = BatchedStore(deps.store)
    await store.prefetch(["app-1", "app-2", "app-3"])  # none stored yet: each to be inserted
    for record in batch():
        await on_submitted(record, replace(deps, store=store))
    await mongo.as_client()[DATABASE]["cases"].insert_one({"_id": "app-2", "by_another": True})

    await store.flush()

    cases = docs(mongo, "cases")
    assert cases["app-2"]["by_another"] is True  # set field by field, not replaced
    assert cases["app-2"]["outcome"] == cases["app-1"]["outcome"] == "verified"
    assert set(cases) == {"app-1", "app-2", "app-3"}


async def test_the_filing_is_sealed_and_one_stored_before_sealing_is_read_as_it_was() -> None:
    deps, mongo = service(Platform())  # silent: every case waits for a recheck
    await fold_batch(batch(), deps)
    due_sealed = await deps.store.due(START + timedelta(days=1))
    cases = mongo.as_client()[DATABASE]["cases"]
    for doc in list(docs(mongo, "cases").values()):
        assert "application" not in doc
        await cases.replace_one({"_id": doc["_id"]}, opened(doc))  # as stored before sealing

    due_plain = await deps.store.due(START + timedelta(days=1))
    assert [d["_id"] for d in due_sealed] == ["app-1", "app-2", "app-3"]
    assert due_plain == due_sealed
    assert all(d["application"]["applicant"]["uscc"] for d in due_plain)
