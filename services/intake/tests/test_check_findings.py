"""A check's findings are kept apart from its view: written once with their verdict, not again
with every later step of the view, and put back whenever a reader is shown the view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from intake.adapters.mongo_store import IntakeStore, view_of
from intake.read_model import Projector
from vouchers_shared import topics
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.store import SEALED, opened, sealed
from vouchers_shared.testing.memory_mongo import MemoryMongo

from .test_status_counts import T0, decided, inbound, submitted

FINDINGS = [{"rule": "AMT-RATE", "clause": "三(一)2", "result": "pass", "message": "…", "evidence": []}]
LATER_FINDINGS = [{"rule": "AMT-CAP", "clause": "三(一)3", "result": "fail", "message": "…", "evidence": []}]


def assessed(app_id: str, event_id: str, findings: list[dict[str, object]], at_minutes: int) -> Inbound:
    return inbound(
        event_id,
        topics.ELIGIBILITY_ASSESSED,
        {"application_id": app_id, "applicant_uscc": "x", "outcome": "pass", "findings": findings},
        at=T0 + timedelta(minutes=at_minutes),
    )


@pytest.fixture(params=[True, False], ids=["ferretdb", "mongodb"])
def store(request: pytest.FixtureRequest) -> IntakeStore:
    return IntakeStore(MemoryMongo(ferretdb=request.param).as_client())


async def shown(store: IntakeStore, app_id: str) -> list[dict[str, object]] | None:
    view = await store.load_view(app_id)
    assert view is not None
    return view.checks["eligibility"].findings


async def test_a_verdicts_findings_are_stored_beside_the_view_and_shown_with_it(store: IntakeStore) -> None:
    await Projector(store).fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])

    stored = await store.status.find_one({"_id": "A"})
    assert stored is not None
    assert "findings" not in opened(stored)["checks"]["eligibility"]
    assert await shown(store, "A") == FINDINGS
    total, listed = await store.list_views({}, 0, 10)
    assert total == 1
    assert listed[0].checks["eligibility"].findings == FINDINGS


async def test_later_events_rewrite_the_view_but_not_the_findings(store: IntakeStore) -> None:
    projector = Projector(store)
    await projector.fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])
    # Were the findings written again with the view, this mark would be overwritten.
    mark = sealed({"findings": ["untouched"]}, "findings")[SEALED]
    await store.findings.update_one({"_id": "A/eligibility"}, {"$set": {SEALED: mark}})

    await projector.fold([decided("A", "rejected")])  # from memory
    objection = inbound("n-A", topics.OBJECTION_RAISED, {"application_id": "A"}, at=T0 + timedelta(hours=1))
    await Projector(store).fold([objection])  # read from the store

    assert await shown(store, "A") == ["untouched"]
    view = await store.load_view("A")
    assert view is not None
    assert view.status == "objection_raised"


async def test_a_late_older_verdict_leaves_the_newer_findings(store: IntakeStore) -> None:
    projector = Projector(store)
    await projector.fold([submitted("A"), assessed("A", "e-2", LATER_FINDINGS, 9)])
    await projector.fold([assessed("A", "e-1", FINDINGS, 1)])
    await Projector(store).fold([assessed("A", "e-0", FINDINGS, 0)])

    assert await shown(store, "A") == LATER_FINDINGS


async def test_a_newer_verdict_replaces_the_findings(store: IntakeStore) -> None:
    await Projector(store).fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])
    await Projector(store).fold([assessed("A", "e-2", LATER_FINDINGS, 9)])

    assert await shown(store, "A") == LATER_FINDINGS


async def test_a_view_stored_with_its_findings_inside_keeps_them_and_moves_them_out(
    store: IntakeStore,
) -> None:
    await Projector(store).fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])
    await store.findings.delete_many({})
    legacy = await store.status.find_one({"_id": "A"})  # stored whole, its findings inside
    assert legacy is not None
    legacy = opened(legacy)
    legacy["checks"]["eligibility"]["findings"] = FINDINGS
    await store.status.replace_one({"_id": "A"}, legacy)
    assert await shown(store, "A") == FINDINGS

    await Projector(store).fold([decided("A", "rejected")])

    stored = await store.status.find_one({"_id": "A"})
    assert stored is not None
    assert SEALED in stored
    assert "findings" not in opened(stored)["checks"]["eligibility"]
    assert await shown(store, "A") == FINDINGS


async def test_findings_stored_before_they_were_sealed_are_shown(store: IntakeStore) -> None:
    await Projector(store).fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])
    stored = await store.findings.find_one({"_id": "A/eligibility"})
    assert stored is not None
    assert "findings" not in stored
    plain = {k: v for k, v in stored.items() if k != SEALED} | {"findings": LATER_FINDINGS}
    await store.findings.replace_one({"_id": "A/eligibility"}, plain)

    assert await shown(store, "A") == LATER_FINDINGS


async def test_a_verdict_without_its_stored_findings_shows_none_rather_than_anothers(
    store: IntakeStore,
) -> None:
    await Projector(store).fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])
    # The findings of a newer verdict whose view was never written (the process stopped between).
    await store.findings.update_one(
        {"_id": "A/eligibility"}, {"$set": {"findings": LATER_FINDINGS, "at": T0 + timedelta(minutes=9)}}
    )

    assert await shown(store, "A") == []


async def test_the_views_kept_in_memory_hold_no_findings(store: IntakeStore) -> None:
    projector = Projector(store)
    await projector.fold([submitted("A"), assessed("A", "e-1", FINDINGS, 1)])

    kept = view_of(projector._views.get("A"))
    assert kept.checks["eligibility"].findings is None
    assert kept.checks["eligibility"].outcome == "pass"
