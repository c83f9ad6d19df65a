"""The case consumer reads no case it wrote last and nobody wrote since, and inserts a filing's
case unread; a case any other writer wrote since (another process, this process's API or sweep,
another consumer given the partition) is read again, so no verdict is ever lost."""

from __future__ import annotations

from typing import Any

import pytest
from case_events import COLLECTIONS, docs, events_of, service, unrevised
from notification import handlers
from notification.adapters.case_batch import CaseBatch
from notification.adapters.case_writes import NOTES_KEPT_S, PRUNE_EVERY_S, CaseWrites
from notification.adapters.kept_cases import TRUSTED_FOR_S, KeptCases
from notification.adapters.mongo_store import DATABASE
from notification.handlers import Deps, fold_cases, on_event
from notification_testkit import at
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.store import opened, packed
from vouchers_shared.testing.memory_mongo import MemoryMongo

APPS = ("APP-1", "APP-2", "APP-3")


@pytest.fixture(autouse=True)
def fixed_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "wall_clock", lambda: at(90))


def filings() -> list[Inbound]:
    return [events_of(app, "pass", 10 * n)[0] for n, app in enumerate(APPS)]


def verdicts(*, skip: tuple[str, int] | None = None) -> list[Inbound]:
    """Every verdict of the three applications (APP-2's eligibility fails), but `skip`."""
    found = []
    for n, app in enumerate(APPS):
        for k, record in enumerate(events_of(app, "fail" if app == "APP-2" else "pass", 10 * n)[1:]):
            if skip != (app, k):
                found.append(record)
    return found


def case_reads(mongo: MemoryMongo) -> list[Any]:
    """The case ids read from now on, by id or in one query."""
    cases: Any = mongo[DATABASE]["cases"]
    reads: list[Any] = []
    find_one, find = cases.find_one, cases.find

    async def counted_find_one(query: Any, projection: Any = None) -> Any:
        reads.append(query["_id"])
        return await find_one(query, projection)

    def counted_find(query: Any, projection: Any = None) -> Any:
        reads.extend(query.get("_id", {}).get("$in", ["*"]))
        return find(query, projection)

    cases.find_one, cases.find = counted_find_one, counted_find
    return reads


async def consumer(ferretdb: bool, mongo: MemoryMongo | None = None) -> tuple[Deps, MemoryMongo]:
    """A case consumer that keeps its cases and was given partition 0."""
    deps, mongo, _ = service(ferretdb, mongo, KeptCases())
    await deps.store.writes.note_owner({0})
    return deps, mongo


async def one_at_a_time(records: list[Inbound]) -> MemoryMongo:
    deps, mongo, _ = service(ferretdb=True)
    for record in records:
        await on_event(record, deps)
    return mongo


def same_documents(mongo: MemoryMongo, expected: MemoryMongo) -> None:
    for name in COLLECTIONS:
        assert unrevised(docs(mongo, name)) == unrevised(docs(expected, name)), name


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_a_consumer_reads_no_case_it_wrote_and_inserts_filings_unread(ferretdb: bool) -> None:
    deps, mongo = await consumer(ferretdb)
    reads = case_reads(mongo)
    await fold_cases(filings(), deps)
    await fold_cases(verdicts(), deps)
    assert reads == []
    same_documents(mongo, await one_at_a_time(filings() + verdicts()))


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_a_case_another_process_wrote_since_is_read_again_and_keeps_its_verdict(ferretdb: bool) -> None:
    deps, mongo = await consumer(ferretdb)
    await fold_cases(filings(), deps)
    api_elsewhere, _, _ = service(ferretdb, mongo, KeptCases())  # another process's writer
    late = verdicts()[0]  # APP-1's conflict check, recorded there (a record handled on its own)
    await on_event(late, api_elsewhere)

    reads = case_reads(mongo)
    await fold_cases(verdicts(skip=("APP-1", 0)), deps)
    assert reads == ["APP-1"]
    stored = opened(docs(mongo, "cases")["APP-1"])["case"]
    assert set(stored["verdicts"]) == {"conflict_of_interest", "eligibility", "verification"}
    assert stored["status"] != "checking"
    same_documents(mongo, await one_at_a_time(filings() + verdicts()))


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_verdicts_ahead_of_their_filings_open_their_cases_unread(ferretdb: bool) -> None:
    deps, mongo = await consumer(ferretdb)
    reads = case_reads(mongo)
    await fold_cases(verdicts(), deps)  # a backlog: the verdicts fetched a batch ahead
    await fold_cases(filings(), deps)
    assert reads == []
    same_documents(mongo, await one_at_a_time(verdicts() + filings()))


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_a_restarted_consumer_finds_the_cases_stored_before_by_their_insert(ferretdb: bool) -> None:
    before, mongo = await consumer(ferretdb)
    await fold_cases(filings(), before)
    await fold_cases(verdicts()[:3], before)  # APP-1 has its three verdicts, decided and lettered
    restarted, _ = await consumer(ferretdb, mongo)  # holds nothing
    reads = case_reads(mongo)
    await fold_cases(verdicts(), restarted)  # APP-1's again (a delivery seen before), the rest new
    assert sorted(set(reads)) == sorted(APPS)  # each read once its insert found it stored
    stored = opened(docs(mongo, "cases")["APP-2"])
    assert set(stored["case"]["verdicts"]) == {"conflict_of_interest", "eligibility", "verification"}
    assert stored["info"]["applicant_name"]  # the filing's part kept, not opened anew
    same_documents(mongo, await one_at_a_time(filings() + verdicts()))


async def test_a_case_this_process_wrote_a_record_at_a_time_is_kept_as_written() -> None:
    deps, mongo = await consumer(ferretdb=True)
    first = verdicts()[0]  # APP-1's conflict check before its filing, handled on its own
    await on_event(first, deps)
    reads = case_reads(mongo)
    await fold_cases(filings(), deps)  # APP-1's filing finds its case kept, not stored by surprise
    await fold_cases(verdicts(skip=("APP-1", 0)), deps)
    assert reads == []
    same_documents(mongo, await one_at_a_time([first, *filings(), *verdicts(skip=("APP-1", 0))]))


@pytest.mark.parametrize("ferretdb", [True, False], ids=["guarded", "conditional"])
async def test_a_filing_whose_case_another_process_stored_is_read_then_and_applied_to_it(
    ferretdb: bool,
) -> None:
    deps, mongo = await consumer(ferretdb)
    first = verdicts()[0]  # APP-1's conflict check, handled by the process that had it then
    elsewhere, _, _ = service(ferretdb, mongo, KeptCases())
    await on_event(first, elsewhere)
    reads = case_reads(mongo)
    await fold_cases(filings(), deps)  # APP-1's insert finds it stored: read, the filing applied
    assert reads == ["APP-1"]
    await fold_cases(verdicts(skip=("APP-1", 0)), deps)
    assert reads == ["APP-1"]  # kept since, as the batch wrote it
    assert opened(docs(mongo, "cases")["APP-1"])["info"]["applicant_name"]
    same_documents(mongo, await one_at_a_time([first, *filings(), *verdicts(skip=("APP-1", 0))]))


async def test_kept_cases_of_a_partition_another_process_was_given_since_are_read() -> None:
    deps, mongo = await consumer(ferretdb=True)
    await fold_cases(filings(), deps)
    await consumer(ferretdb=True, mongo=mongo)  # the group gave partition 0 to another process
    reads = case_reads(mongo)
    await fold_cases(verdicts(), deps)  # a batch this process began before it learned of it
    assert sorted(reads) == sorted(APPS)


async def test_a_rebalance_forgets_every_kept_case_and_a_batch_begun_before_keeps_none() -> None:
    deps, mongo = await consumer(ferretdb=True)
    kept = deps.store.writes.kept
    await fold_cases(filings(), deps)
    assert all(kept.holds(app) for app in APPS)
    kept.forget_all()
    reads = case_reads(mongo)
    async with CaseBatch.of(deps.store, ["APP-1"], partitions={"APP-1": 0}) as cases:
        kept.forget_all()  # another rebalance while the batch runs
        await cases.write([cases.cases["APP-1"]])
    assert reads == ["APP-1"]
    assert not kept.holds("APP-1")
    await deps.store.writes.note_owner({0})  # assigned again: still nothing kept to trust
    await fold_cases(verdicts(), deps)
    assert sorted(reads) == ["APP-1", *APPS]


async def test_a_failed_batch_keeps_none_of_its_cases() -> None:
    deps, _ = await consumer(ferretdb=True)
    await fold_cases(filings(), deps)
    with pytest.raises(RuntimeError):
        async with CaseBatch.of(deps.store, ["APP-1", "APP-2"], partitions={"APP-1": 0, "APP-2": 0}):
            raise RuntimeError("the batch stopped half way")
    assert not deps.store.writes.kept.holds("APP-1")
    assert not deps.store.writes.kept.holds("APP-2")
    assert deps.store.writes.kept.holds("APP-3")


def test_a_kept_case_is_trusted_for_a_while_only() -> None:
    now = [0.0]
    kept = KeptCases(clock=lambda: now[0])
    kept.keep({"APP-1": _packed({"_id": "APP-1", "revision": 1})}, kept.generation)
    assert kept.get("APP-1") == {"_id": "APP-1", "revision": 1}
    now[0] += TRUSTED_FOR_S + 1
    assert kept.get("APP-1") is None
    assert not kept.holds("APP-1")


def test_a_case_written_elsewhere_in_this_process_is_hidden_meanwhile_and_dropped() -> None:
    kept = KeptCases()
    kept.keep({"APP-1": _packed({"_id": "APP-1", "revision": 1})}, kept.generation)
    with kept.writing("APP-1"):
        assert kept.get("APP-1") is None
        kept.keep({"APP-1": _packed({"_id": "APP-1", "revision": 2})}, kept.generation)  # a batch
        assert kept.get("APP-1") is None
    assert not kept.holds("APP-1")


async def test_notes_of_other_writers_go_once_no_kept_case_is_that_old() -> None:
    deps, mongo = await consumer(ferretdb=True)
    now = [1_000_000.0]
    writes = deps.store.writes = CaseWrites(
        deps.store.writes.collection, deps.store.writes.kept, lambda: now[0]
    )
    await fold_cases(filings(), deps)
    await on_event(verdicts()[0], deps)
    notes = docs(mongo, "case_writes")
    assert "APP-1#2" in notes
    now[0] += NOTES_KEPT_S + PRUNE_EVERY_S
    await writes.trusted({"APP-2": 0})
    assert set(docs(mongo, "case_writes")) == {"owner/0"}


def _packed(doc: dict[str, Any]) -> bytes:
    return packed(doc)
