"""The small documents that name pending work, so that periodic jobs and per-message checks read
by id instead of whole collections: the case index, letter and recheck markers, the applicant's
contract index, the guarded writes and the reference-data version pointer, on the real store.
Each test works in a database of its own, out of reach of the running services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from eligibility.adapters.mongo_store import EligibilityStore
from notification.adapters.mongo_store import NotificationStore, StoredCase
from notification.domain.case import StatusChange, open_case
from notification.domain.letters import Attempt, RoundEnd
from pymongo import AsyncMongoClient
from verification.adapters.mongo_store import VerificationStore
from vouchers_shared.guarded import replace_if
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect, is_ferretdb

from tests.support.infra import Infra
from tests.support.letters import unsent_letter
from tests.support.samples import lone_serial, make_uscc

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
AT = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[AsyncMongoClient[Document]]:
    mongo = connect(CommonSettings(mongodb_url=infra.mongodb_url), "work-marker-test")
    try:
        yield mongo
    finally:
        await mongo.close()


@pytest.fixture
async def database(client: AsyncMongoClient[Document]) -> AsyncIterator[str]:
    name = f"test_markers_{uuid.uuid4().hex[:10]}"
    yield name
    await client.drop_database(name)


def fresh_ids() -> tuple[str, str]:
    return f"SZV2026-{uuid.uuid4().hex[:16].upper()}", make_uscc(lone_serial())


async def test_the_case_index_follows_each_case_until_it_is_final_and_idle(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = NotificationStore(client, database)
    application_id, uscc = fresh_ids()
    stored = StoredCase(open_case(application_id, uscc, AT), {}, [], [], 0)
    await store.save(stored)
    (entry,) = await store.entries()
    assert (entry.application_id, entry.status, entry.opened_at, entry.pending) == (
        application_id,
        "checking",
        AT,
        False,
    )

    # Rejected with a letter still to hand over: final, but not idle.
    stored.case = stored.case.moved_to(StatusChange(at=AT + timedelta(hours=1), status="rejected"))
    stored.letters = [{"letter_id": "L-1", "letter": {"kind": "rejection"}}]
    await store.save(stored)
    (entry,) = await store.entries()
    assert (entry.status, entry.pending, entry.idle) == ("rejected", True, False)

    stored.letters = [{"letter_id": "L-1", "handed_over": True}]
    await store.save(stored)
    assert await store.entries() == []
    loaded = await store.load(application_id)
    assert loaded is not None
    assert (loaded.case.status, loaded.revision) == ("rejected", 3)


async def test_a_refused_stale_save_leaves_the_index_as_the_case_is(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = NotificationStore(client, database)
    application_id, uscc = fresh_ids()
    await store.save(StoredCase(open_case(application_id, uscc, AT), {}, [], [], 0))
    mine, theirs = await store.load(application_id), await store.load(application_id)
    assert mine is not None
    assert theirs is not None
    mine.case = mine.case.moved_to(StatusChange(at=AT + timedelta(hours=1), status="needs_review"))
    await store.save(mine)
    theirs.case = theirs.case.moved_to(StatusChange(at=AT + timedelta(hours=2), status="rejected"))
    with pytest.raises(Exception, match="changed concurrently"):
        await store.save(theirs)
    assert [e.status for e in await store.entries()] == ["needs_review"]


async def test_a_letter_has_a_marker_until_it_is_sent(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = NotificationStore(client, database)
    now = datetime.now(UTC)
    for letter_id in ("L-sent", "L-retry"):
        await store.hand_over_letters([unsent_letter(letter_id, now)])
    await store.hand_over_letters([{"_id": "L-sent", "sent": False, "next_attempt_at": now}])  # again

    assert sorted(d["_id"] for d in await store.due_letters(now)) == ["L-retry", "L-sent"]
    until = now + timedelta(minutes=1)
    claimed = await store.claim_letters(["L-sent", "L-retry"], "round-1", now, until)
    assert sorted(d["_id"] for d in claimed) == ["L-retry", "L-sent"]
    assert await store.claim_letters(["L-sent"], "another", now, until) == []
    slots = claimed[0]["claim"]["slots"]
    delivered = Attempt({"at": now, "channel": "email", "outcome": "sent"}, "email")
    later = now + timedelta(minutes=5)
    refused = Attempt({"at": now, "channel": "email", "outcome": "failed", "error": "refused"}, None)
    await store.release_letters(
        "round-1",
        slots,
        [
            RoundEnd("L-sent", {"sent": True, "sent_at": now}, delivered),
            RoundEnd("L-retry", {"failed_rounds": 1, "next_attempt_at": later}, refused),
        ],
    )

    assert await store.due_letters(now + timedelta(minutes=1)) == []
    assert [d["_id"] for d in await store.due_letters(later)] == ["L-retry"]
    assert [m["_id"] async for m in store.letters_due.find()] == ["L-retry"]
    # Each round's last attempt is logged as the round ends, and its lease slots are free.
    letters = {d["_id"]: d async for d in store.letters.find()}
    assert [
        (a["outcome"], letters[i].get("channels_done"))
        for i in ("L-sent", "L-retry")
        for a in letters[i]["attempts"]
    ] == [
        ("sent", ["email"]),
        ("failed", None),
    ]
    assert [lease async for lease in store.letter_leases.find()] == []


async def test_a_waiting_verification_has_a_recheck_marker_until_settled(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = VerificationStore(client, database)
    now = datetime.now(UTC)
    await store.save_case("A-wait", {"pending": True, "next_attempt_at": now, "attempts": 1})
    await store.save_case("A-done", {"pending": False, "outcome": "pass"})
    assert [d["_id"] for d in await store.due(now)] == ["A-wait"]

    await store.save_case("A-wait", {"attempts": 2, "next_attempt_at": now + timedelta(minutes=1)})
    assert await store.due(now) == []
    await store.save_case("A-wait", {"pending": False, "outcome": "review"}, settled=True)
    assert await store.due(now + timedelta(hours=1)) == []
    assert [m async for m in store.rechecks.find()] == []


async def test_earlier_contracts_come_from_the_applicants_index_without_rejected_ones(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = EligibilityStore(client, database)
    uscc = make_uscc(lone_serial())
    await store.mark_assessed("A-1", uscc, 2026, ["P1|C-1", "P1|C-2"])
    await store.mark_assessed("A-2", uscc, 2026, ["P2|C-9"])
    await store.mark_assessed("A-1", uscc, 2026, ["P1|C-1", "P1|C-2"])  # a redelivery
    await store.mark_assessed("A-other-year", uscc, 2025, ["P3|C-3"])

    assert await store.earlier_contracts(uscc, 2026, {"_id": "A-3"}) == {
        ("P1", "C-1"),
        ("P1", "C-2"),
        ("P2", "C-9"),
    }
    assert await store.earlier_contracts(uscc, 2026, {"_id": "A-1"}) == {("P2", "C-9")}
    await store.mark_finally_rejected("A-2", uscc, 2026)
    assert await store.earlier_contracts(uscc, 2026, {"_id": "A-3"}) == {("P1", "C-1"), ("P1", "C-2")}


async def test_a_guarded_replace_writes_only_over_the_revision_it_read(
    client: AsyncMongoClient[Document], database: str
) -> None:
    collection = client[database]["guarded"]
    await collection.insert_one({"_id": "doc", "revision": 1, "value": "first"})

    assert not await replace_if(collection, "doc", {"revision": 0}, {"revision": 1, "value": "stale"})
    assert not await replace_if(collection, "absent", {"revision": 1}, {"revision": 2})
    assert await replace_if(collection, "doc", {"revision": 1}, {"revision": 2, "value": "second"})
    assert await collection.find_one({"_id": "doc"}) == {"_id": "doc", "revision": 2, "value": "second"}
    assert await collection.count_documents({}) == 1


async def test_a_marker_whose_letter_is_not_stored_yet_is_kept_until_long_overdue(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = NotificationStore(client, database)
    now = datetime.now(UTC)
    # A hand-over under way: the marker is in, its letter not yet.
    await store.letters_due.insert_one({"_id": "L-coming", "next_attempt_at": now})
    await store.letters_due.insert_one({"_id": "L-lost", "next_attempt_at": now - timedelta(hours=2)})

    assert await store.due_letters(now) == []
    assert [m["_id"] async for m in store.letters_due.find()] == ["L-coming"]
    await store.letters.insert_one(
        {"_id": "L-coming", "sent": False, "claim": None, "next_attempt_at": now, "letter": {}}
    )
    assert [d["_id"] for d in await store.due_letters(now)] == ["L-coming"]


async def test_secondary_indexes_exist_only_where_the_server_uses_them(
    client: AsyncMongoClient[Document], database: str
) -> None:
    store = NotificationStore(client, database)
    await store.ensure_indexes()
    await store.cases.insert_one({"_id": "A", "status": "checking"})
    names = set(await store.cases.index_information())
    if await is_ferretdb(client):
        assert names == {"_id_"}  # FerretDB would only maintain them, never use them
    else:
        assert names == {"_id_", "status_1"}
