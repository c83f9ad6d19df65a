"""A batch of case events folded whole ends as the same events one at a time: the same cases,
index entries, letters and decision events, on either kind of store. A batch that cannot be
sure no other writer wrote its cases in between refuses to write them."""

from __future__ import annotations

from typing import Any

import pytest
from case_events import COLLECTIONS, batch, docs, service, unrevised
from notification import handlers
from notification.adapters.case_batch import CaseBatch, CasesChanged
from notification.handlers import fold_cases, on_event
from notification_testkit import at
from pymongo import ReplaceOne
from vouchers_shared.guarded import GuardBusy, guard


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
    await fold_cases(batch(), deps)  # its filings' cases are found stored, and read
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


@pytest.mark.parametrize("folded", [True, False], ids=["folded", "one-by-one"])
async def test_an_index_entry_that_would_be_idle_is_removed_and_never_written(
    folded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps, mongo, _ = service(ferretdb=True)
    index, written = deps.store.index, []
    bulk_write, replace_one = index.bulk_write, index.replace_one

    async def bulk_recorded(requests: list[Any], ordered: bool = True) -> Any:
        written.extend(r._doc for r in requests if isinstance(r, ReplaceOne))
        return await bulk_write(requests, ordered=ordered)

    async def replace_recorded(query: Any, doc: Any, upsert: bool = False) -> Any:
        written.append(doc)
        return await replace_one(query, doc, upsert=upsert)

    monkeypatch.setattr(index, "bulk_write", bulk_recorded)
    monkeypatch.setattr(index, "replace_one", replace_recorded)
    if folded:
        await fold_cases(batch(), deps)
    else:
        for record in batch():
            await on_event(record, deps)
    assert {e["_id"] for e in written} >= {"APP-1", "APP-2"}  # written while open or pending
    assert [e["_id"] for e in written if deps.store.is_idle(e)] == []
    assert docs(mongo, "cases")["APP-1"]["status"] == "rejected"
    assert "APP-1" not in docs(mongo, "case_index")  # final and idle: removed
