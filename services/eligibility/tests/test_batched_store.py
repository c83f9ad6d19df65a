"""A batch folded on the batched store ends as one record at a time would: the same verdicts,
the same yearly ledger (the cap shared by one applicant's applications in one batch), the same
contract index; it reads each document once and writes each once; a ledger moved by another
writer fails the batch, which then goes record by record."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eligibility.adapters.batched_store import BatchedStore, KeptApplications, KeptLedgers
from eligibility.adapters.mongo_store import DATABASE, ConcurrentUpdate, EligibilityStore, emitted_outbox
from eligibility.app import REFDATA_KINDS
from eligibility.domain.ledger import Ledger
from eligibility.handlers import Deps, fold_batch, on_ledger_on_its_own, on_rules_or_decision, on_submitted
from eligibility.refs import build_graph
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.clock import SHANGHAI, FixedClock
from vouchers_shared.events import CaseDecided
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.program import load_program
from vouchers_shared.refdata_store import Derived, RefdataStore, store_snapshot
from vouchers_shared.store import opened
from vouchers_shared.testing.in_memory import application_submitted, event, refdata_loaded
from vouchers_shared.testing.memory_mongo import MemoryMongo

SAMPLES = Path(__file__).resolve().parents[3] / "deploy" / "sample"
AT = datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


def inbound(event: Outgoing, offset: int = 0) -> Inbound:
    headers = event.headers()
    return Inbound(event.topic, 0, offset, event.key, headers, event.body(), event.envelope)


async def service() -> tuple[Deps, MemoryMongo]:
    mongo = MemoryMongo()
    client = mongo.as_client()
    refdata = RefdataStore(client, DATABASE)
    for kind, items in json.loads((SAMPLES / "refdata.json").read_text("utf-8")).items():
        await store_snapshot(inbound(refdata_loaded(kind, items, AT)), refdata, REFDATA_KINDS)
    deps = Deps(EligibilityStore(client), refdata, Derived(build_graph), load_program(2026), FixedClock(AT))
    return deps, mongo


def applications() -> list[tuple[str, Application]]:
    """Three applications of one applicant, 4M CNY of voucher each asked for (cap: 10M), the
    third also listing the first one's contract."""
    base: dict[str, Any] = json.loads((SAMPLES / "applications" / "approvable.json").read_text("utf-8"))
    first = base["application"]["contracts"][0]
    filed = []
    for n in (1, 2, 3):
        app = copy.deepcopy(base["application"])
        contract = {**first, "contract_no": f"HT-BIG-{n}", "amount_cny": "8000000.00"}
        app["contracts"] = [contract] + (
            [dict(first, amount_cny="8000000.00", contract_no="HT-BIG-1")] if n == 3 else []
        )
        filed.append((f"SZV2026-00000000000000B{n}", Application.model_validate(app)))
    return filed


async def coi_verdicts(deps: Deps) -> list[Inbound]:
    submitted = [inbound(application_submitted(app, i, AT), n) for n, (i, app) in enumerate(applications())]
    verdicts = await fold_batch(submitted, on_submitted, deps)
    return [inbound(v, n) for n, v in enumerate(verdicts)]


async def one_by_one(batch: Sequence[Inbound], deps: Deps) -> list[Outgoing]:
    events: list[Outgoing] = []
    for record in batch:
        events.extend(await on_rules_or_decision(record, deps))
    return events


async def test_a_folded_batch_ends_as_one_record_at_a_time() -> None:
    folded_deps, folded_mongo = await service()
    plain_deps, plain_mongo = await service()
    batch = await coi_verdicts(folded_deps)
    assert [r.body for r in batch] == [r.body for r in await coi_verdicts(plain_deps)]

    folded = await fold_batch(batch, on_rules_or_decision, folded_deps)
    plain = await one_by_one(batch, plain_deps)

    assert [e.body() for e in folded] == [e.body() for e in plain]
    uscc = applications()[0][1].applicant.uscc
    ledger = await folded_deps.store.ledger(uscc, 2026)
    assert ledger == await plain_deps.store.ledger(uscc, 2026)
    assert sum(ledger.reserved.values()) == Decimal("10000000.00")  # the third got what was left
    for name in ("applications", "applicant_contracts", "ledgers", "emitted"):
        folded_docs = folded_mongo["vouchers_eligibility"][name].docs  # type: ignore[attr-defined]
        plain_docs = plain_mongo["vouchers_eligibility"][name].docs  # type: ignore[attr-defined]
        assert folded_docs == plain_docs, name


async def test_nothing_is_written_before_the_flush_and_each_ledger_is_read_once() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)
    ledgers = mongo["vouchers_eligibility"]["ledgers"]
    reads = counted_finds(mongo, "ledgers")
    store = BatchedStore(deps.store)
    await store.prefetch(json.loads(r.body)["application_id"] for r in batch)
    for record in batch:
        await on_rules_or_decision(record, replace(deps, store=store))
    uscc = applications()[0][1].applicant.uscc
    assert reads == [f"{uscc}:2026"]  # three applications of one applicant: one read
    assert ledgers.docs == {}  # type: ignore[attr-defined]

    await store.flush()
    assert set(ledgers.docs) == {f"{uscc}:2026"}  # type: ignore[attr-defined]
    assert sum((await deps.store.ledger(uscc, 2026)).reserved.values()) == Decimal("10000000.00")


async def test_a_ledger_moved_by_another_writer_fails_the_batch() -> None:
    deps, _ = await service()
    batch = await coi_verdicts(deps)
    store = BatchedStore(deps.store)
    await on_rules_or_decision(batch[0], replace(deps, store=store))
    await on_rules_or_decision(batch[1], deps)  # meanwhile, straight to the store
    with pytest.raises(ConcurrentUpdate):
        await store.flush()


def counted_finds(mongo: MemoryMongo, name: str) -> list[Any]:
    """The ids `name` is asked for by id from now on."""
    collection = mongo["vouchers_eligibility"][name]
    reads: list[Any] = []
    real_find = collection.find_one  # type: ignore[attr-defined]

    async def counted(query: Any, projection: Any = None) -> Any:
        reads.append(query["_id"])
        return await real_find(query, projection)

    collection.find_one = counted  # type: ignore[attr-defined]
    return reads


async def test_the_rule_books_events_are_kept_apart_and_read_only_for_a_delivery_seen_before() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)
    emitted_reads = counted_finds(mongo, "emitted")

    first = await fold_batch(batch, on_rules_or_decision, deps)
    assert emitted_reads == []  # the contract index says none was assessed: nothing to read
    applications_stored = mongo["vouchers_eligibility"]["applications"].docs  # type: ignore[attr-defined]
    assert all(set(doc["emitted"]) == {"coi"} for doc in applications_stored.values())
    ledger = await deps.store.ledger(applications()[0][1].applicant.uscc, 2026)

    again = await fold_batch(batch, on_rules_or_decision, deps)  # a batch delivered again
    assert [e.body() for e in again] == [e.body() for e in first]
    assert [e.envelope.id for e in again] == [e.envelope.id for e in first]
    assert len(emitted_reads) == len(batch)
    assert await deps.store.ledger(applications()[0][1].applicant.uscc, 2026) == ledger

    one_at_a_time = await one_by_one(batch, deps)
    assert [e.body() for e in one_at_a_time] == [e.body() for e in first]


async def test_events_kept_in_the_application_by_an_earlier_version_are_emitted_again() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)
    first = await fold_batch(batch, on_rules_or_decision, deps)
    emitted = mongo["vouchers_eligibility"]["emitted"]
    applications_stored = mongo["vouchers_eligibility"]["applications"]
    for doc in list(emitted.docs.values()):  # type: ignore[attr-defined]
        set_rules = {"$set": {"emitted.rules": emitted_outbox(doc)}}
        await applications_stored.update_one({"_id": doc["application_id"]}, set_rules)
        await emitted.delete_one({"_id": doc["_id"]})

    again = await fold_batch(batch, on_rules_or_decision, deps)
    assert [e.body() for e in again] == [e.body() for e in first]
    assert emitted.docs == {}  # type: ignore[attr-defined]


async def test_events_stored_before_they_were_sealed_are_emitted_again() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)
    first = await fold_batch(batch, on_rules_or_decision, deps)
    emitted = mongo["vouchers_eligibility"]["emitted"]
    for doc in list(emitted.docs.values()):  # type: ignore[attr-defined]
        assert "outbox" not in doc  # sealed
        plain = {"_id": doc["_id"], "application_id": doc["application_id"], "outbox": emitted_outbox(doc)}
        await emitted.replace_one({"_id": doc["_id"]}, plain)

    again = await fold_batch(batch, on_rules_or_decision, deps)
    assert again
    assert [e.body() for e in again] == [e.body() for e in first]


async def test_an_application_stored_before_its_filing_was_sealed_is_read_as_it_was() -> None:
    deps, mongo = await service()
    await coi_verdicts(deps)
    stored = mongo[DATABASE]["applications"]
    ids = [i for i, _ in applications()]
    sealed_reads = {i: await deps.store.application(i) for i in ids}
    for doc in list(stored.docs.values()):  # type: ignore[attr-defined]
        assert "application" not in doc  # sealed
        await stored.replace_one({"_id": doc["_id"]}, opened(doc))

    batch = BatchedStore(deps.store)
    await batch.prefetch(ids)
    for application_id in ids:
        assert sealed_reads[application_id] is not None
        assert await deps.store.application(application_id) == sealed_reads[application_id]
        assert await batch.application(application_id) == sealed_reads[application_id]


async def test_the_rule_book_reads_no_application_the_conflict_check_of_this_process_inserted() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)  # the conflict check inserts the three applications
    ids = [i for i, _ in applications()]
    for application_id in ids:  # kept as a read from the store gives it
        assert deps.kept.get(application_id) == await deps.store.application(application_id)
    reads = counted_finds(mongo, "applications")

    kept = await fold_batch(batch, on_rules_or_decision, deps)
    assert reads == []

    other_deps, other_mongo = await service()  # another process: nothing kept, each read once
    await coi_verdicts(other_deps)
    other_reads = counted_finds(other_mongo, "applications")
    read = await fold_batch(batch, on_rules_or_decision, replace(other_deps, kept=KeptApplications()))
    assert sorted(other_reads) == sorted(ids)
    assert [e.body() for e in kept] == [e.body() for e in read]


async def test_an_application_this_process_changes_is_no_longer_kept() -> None:
    deps, _ = await service()
    await coi_verdicts(deps)
    first, second = (i for i, _ in applications()[:2])
    uscc = applications()[0][1].applicant.uscc
    store = BatchedStore(deps.store, deps.kept)
    await store.prefetch([first, second])
    await store.mark_finally_rejected(first, uscc, 2026)
    await store.flush()
    assert deps.kept.get(first) is None
    assert deps.kept.get(second) == await deps.store.application(second)


async def test_the_first_ledgers_of_a_batch_are_inserted_together_and_a_taken_one_is_checked() -> None:
    deps, mongo = await service()
    ledgers = mongo["vouchers_eligibility"]["ledgers"]
    writes = counted_bulk_writes(mongo, "ledgers")
    cap = Decimal("10000000.00")
    changes = [
        (before, before.reserve(f"SZV2026-A{n}", Decimal("100.00"), cap))
        for n, before in enumerate(Ledger(applicant_uscc=f"USCC{n}", program_year=2026) for n in range(5))
    ]
    await deps.store.save_ledgers(changes)
    assert writes == [5]  # five first writes, one insert
    assert set(ledgers.docs) == {f"USCC{n}:2026" for n in range(5)}  # type: ignore[attr-defined]

    # A first write racing one that came first: the taken ledger's revision is checked.
    racing = Ledger(applicant_uscc="USCC0", program_year=2026)
    with pytest.raises(ConcurrentUpdate):
        await deps.store.save_ledgers([(racing, racing.reserve("SZV2026-B0", Decimal("1.00"), cap))])
    stored = await deps.store.ledger("USCC0", 2026)
    assert stored.reserved == {"SZV2026-A0": Decimal("100.00")}


def counted_bulk_writes(mongo: MemoryMongo, name: str) -> list[int]:
    """The sizes of the bulk writes `name` is sent from now on."""
    collection = mongo["vouchers_eligibility"][name]
    sizes: list[int] = []
    real_bulk_write = collection.bulk_write  # type: ignore[attr-defined]

    async def counted(requests: list[Any], ordered: bool = True) -> Any:
        sizes.append(len(requests))
        return await real_bulk_write(requests, ordered)

    collection.bulk_write = counted  # type: ignore[attr-defined]
    return sizes


def decided(application_id: str, offset: int) -> Inbound:
    """A final rejection of the application, as notification publishes it."""
    uscc = applications()[0][1].applicant.uscc
    payload = CaseDecided(
        application_id=application_id, applicant_uscc=uscc, status="rejected", final=True, decided_at=AT
    )
    return inbound(
        event(
            topics.DECISIONS,
            topics.CASE_DECIDED,
            "/vouchers/notification",
            payload,
            key=uscc,
            subject=application_id,
            at=AT,
            event_id=f"{application_id}/decided",
        ),
        offset,
    )


async def test_a_decision_after_the_rule_book_reads_no_ledger_and_releases_as_one_at_a_time() -> None:
    deps, mongo = await service()
    plain_deps, plain_mongo = await service()
    batch = await coi_verdicts(deps)
    await fold_batch(batch, on_rules_or_decision, deps)
    await one_by_one(await coi_verdicts(plain_deps), plain_deps)
    reads = counted_finds(mongo, "ledgers")

    first = applications()[0][0]
    await fold_batch([decided(first, 9)], on_rules_or_decision, deps)
    await one_by_one([decided(first, 9)], plain_deps)
    key = f"{applications()[0][1].applicant.uscc}:2026"
    assert reads == [key]  # kept as the batch before wrote it: read only by the guarded write
    uscc = applications()[0][1].applicant.uscc
    ledger = await deps.store.ledger(uscc, 2026)
    assert first in ledger.released
    assert ledger == await plain_deps.store.ledger(uscc, 2026)
    stored, plain = (m["vouchers_eligibility"]["ledgers"] for m in (mongo, plain_mongo))
    assert stored.docs == plain.docs  # type: ignore[attr-defined]


async def test_a_kept_ledger_another_writer_moved_fails_the_batch_and_is_read_again() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)
    await fold_batch(batch[:1], on_rules_or_decision, deps)  # the first reservation, kept
    uscc = applications()[0][1].applicant.uscc
    elsewhere = replace(deps, ledgers=KeptLedgers())  # a process still finishing an older batch
    await on_rules_or_decision(batch[1], elsewhere)  # the second reservation, straight to the store

    with pytest.raises(ConcurrentUpdate):
        await fold_batch(batch[2:], on_rules_or_decision, deps)
    assert (await deps.store.ledger(uscc, 2026)).revision == 2  # nothing of the failed batch written
    reads = counted_finds(mongo, "ledgers")
    await fold_batch(batch[2:], on_rules_or_decision, deps)
    assert reads == [f"{uscc}:2026"] * 2  # by the batch, and by its guarded write
    ledger = await deps.store.ledger(uscc, 2026)
    assert sum(ledger.reserved.values()) == Decimal("10000000.00")  # the third got what was left
    assert len(ledger.reserved) == 3


async def test_a_record_handled_on_its_own_leaves_no_ledger_kept() -> None:
    deps, mongo = await service()
    batch = await coi_verdicts(deps)
    await fold_batch(batch[:1], on_rules_or_decision, deps)
    uscc = applications()[0][1].applicant.uscc
    assert deps.ledgers.get(f"{uscc}:2026") is not None
    await on_ledger_on_its_own(batch[1], deps)
    assert deps.ledgers.get(f"{uscc}:2026") is None
    reads = counted_finds(mongo, "ledgers")
    await fold_batch(batch[2:], on_rules_or_decision, deps)
    assert reads == [f"{uscc}:2026"] * 2  # by the batch (the record on its own wrote it), and by the write
    assert sum((await deps.store.ledger(uscc, 2026)).reserved.values()) == Decimal("10000000.00")
