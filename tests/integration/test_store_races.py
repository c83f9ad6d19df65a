"""Writers that race on one document, run concurrently and many times against the real store.

The local store applies a conditional update as a query followed by a write, so two writers can
both see the condition hold. Whatever one of them must win alone is decided by an insert with a
unique id, which the store refuses to repeat: a letter's sending round, a yearly ledger's first
write, and the guard every conditional write holds (vouchers_shared.guarded). Each test works
in a database of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from eligibility.adapters.mongo_store import ConcurrentUpdate, EligibilityStore
from eligibility.domain.ledger import Ledger
from notification.adapters.mongo_store import NotificationStore, StoredCase
from notification.domain.case import StatusChange, open_case
from notification.domain.letters import RoundEnd
from pymongo import AsyncMongoClient
from vouchers_shared.errors import TransientError
from vouchers_shared.guarded import SLOT, GuardBusy, guard, replace_if, update_all_if
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect

from tests.support.infra import Infra
from tests.support.letters import unsent_letter
from tests.support.samples import lone_serial, make_uscc

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ROUNDS = 25
RACERS = 8
CAP = Decimal("10000000.00")


@pytest.fixture
async def clients(infra: Infra) -> AsyncIterator[list[AsyncMongoClient[Document]]]:
    """One client per racer, as separate processes would have."""
    opened = [connect(CommonSettings(mongodb_url=infra.mongodb_url), f"race-{n}") for n in range(RACERS)]
    try:
        yield opened
    finally:
        for client in opened:
            await client.close()


@pytest.fixture
async def database(clients: list[AsyncMongoClient[Document]]) -> AsyncIterator[str]:
    name = f"test_races_{uuid.uuid4().hex[:10]}"
    yield name
    await clients[0].drop_database(name)


async def test_each_letter_of_a_round_is_won_by_one_sender_however_many_race_for_it(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    stores = [NotificationStore(c, database) for c in clients]
    now = datetime.now(UTC)
    for n in range(ROUNDS // 5):
        letter_ids = [f"rejection:dec-{n}-{k}-{uuid.uuid4().hex[:8]}" for k in range(10)]
        await stores[0].hand_over_letters([unsent_letter(i, now) for i in letter_ids])
        rounds = await asyncio.gather(
            *(
                s.claim_letters(letter_ids[i % 3 :], f"sender-{i}", now, now + timedelta(minutes=2))
                for i, s in enumerate(stores)
            )
        )
        won = sorted(d["_id"] for claimed in rounds for d in claimed)
        assert won == sorted(letter_ids), f"round {n}: letters won {won}"
        holders = {d["_id"]: d["claim"]["token"] for claimed in rounds for d in claimed}
        stored = {d["_id"]: d["claim"]["token"] async for d in stores[0].letters.find({})}
        assert {i: stored[i] for i in letter_ids} == holders


async def test_a_letter_sent_by_one_sender_is_not_claimed_again_by_a_late_one(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    first, late = NotificationStore(clients[0], database), NotificationStore(clients[1], database)
    now = datetime.now(UTC)
    await first.hand_over_letters([unsent_letter("L-1", now)])
    [claimed] = await first.claim_letters(["L-1"], "first", now, now + timedelta(minutes=2))
    ended = RoundEnd("L-1", {"sent": True, "sent_at": now})
    await first.release_letters("first", claimed["claim"]["slots"], [ended])
    # The round's slots are free again, but the letter was sent: nobody takes it, nor keeps a slot.
    assert await late.claim_letters(["L-1"], "late", now, now + timedelta(minutes=2)) == []
    assert [lease async for lease in late.letter_leases.find({})] == []


async def test_a_sender_that_died_with_its_lease_is_replaced_after_two_slots(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    store = NotificationStore(clients[0], database)
    now = datetime.now(UTC)
    await store.hand_over_letters([unsent_letter("L-2", now)])
    lease = timedelta(minutes=2)
    assert await store.claim_letters(["L-2"], "died", now, now + lease)
    assert await store.claim_letters(["L-2"], "next", now + lease, now + 2 * lease) == []
    assert await store.claim_letters(["L-2"], "next", now + 2 * lease, now + 3 * lease)


async def test_a_slot_won_beside_one_refused_is_given_back(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    store = NotificationStore(clients[0], database)
    lease = timedelta(minutes=2)
    now = datetime.fromtimestamp((datetime.now(UTC).timestamp() // 120) * 120, UTC)  # a slot's start
    await store.hand_over_letters([unsent_letter("L-3", now - lease)])
    assert await store.claim_letters(["L-3"], "earlier", now - lease, now)  # slots e - 1 and e
    assert await store.claim_letters(["L-3"], "refused", now, now + lease) == []  # e taken, e + 1 won
    leases = sorted([d["_id"] async for d in store.letter_leases.find({})])
    e = int(now.timestamp() // 120)
    assert leases == sorted([f"L-3#{e - 1}", f"L-3#{e}"])
    # So the next sender takes the letter as soon as the earlier lease is over.
    assert await store.claim_letters(["L-3"], "next", now + lease, now + 2 * lease)


async def test_a_round_ending_late_leaves_a_letter_another_round_took_as_that_round_has_it(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    late, next_ = NotificationStore(clients[0], database), NotificationStore(clients[1], database)
    now = datetime.now(UTC)
    lease = timedelta(minutes=2)
    await late.hand_over_letters([unsent_letter("L-4", now), unsent_letter("L-5", now)])
    [first, _second] = await late.claim_letters(["L-4", "L-5"], "late", now, now + lease)
    [taken] = await next_.claim_letters(["L-4"], "next", now + 2 * lease, now + 3 * lease)
    ends = [RoundEnd(i, {"sent": True, "sent_at": now}) for i in ("L-4", "L-5")]
    await late.release_letters("late", first["claim"]["slots"], ends)
    letters = {d["_id"]: d async for d in late.letters.find({})}
    assert letters["L-4"]["claim"]["token"] == "next"
    assert not letters["L-4"]["sent"]
    assert letters["L-5"]["claim"] is None
    assert letters["L-5"]["sent"]
    leases = sorted([d["_id"] async for d in late.letter_leases.find({})])
    assert leases == sorted(f"L-4#{n}" for n in taken["claim"]["slots"])


async def test_the_first_write_of_a_ledger_is_won_by_one_writer_only(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    stores = [EligibilityStore(c, database) for c in clients]
    for n in range(ROUNDS):
        uscc = make_uscc(lone_serial())
        empty = Ledger(applicant_uscc=uscc, program_year=2026)

        async def reserve(i: int, store: EligibilityStore, empty: Ledger = empty) -> bool:
            try:
                await store.save_ledger(empty, empty.reserve(f"app-{i}", Decimal("8000000.00"), CAP))
            except ConcurrentUpdate:
                return False
            return True

        won = await asyncio.gather(*(reserve(i, s) for i, s in enumerate(stores)))
        assert sum(won) == 1, f"round {n}: {sum(won)} first writes of one ledger"
        stored = await stores[0].ledger(uscc, 2026)
        assert stored.committed() == Decimal("8000000.00")
        assert stored.revision == 1


async def test_a_ledger_stored_at_revision_zero_by_an_older_version_can_still_be_written(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    store = EligibilityStore(clients[0], database)
    uscc = make_uscc(lone_serial())
    opened = Ledger(applicant_uscc=uscc, program_year=2026, prior_unredeemed_cny=Decimal("3000000.00"))
    await store.ledgers.insert_one({"_id": f"{uscc}:2026", **opened.model_dump(mode="json")})
    before = await store.ledger(uscc, 2026)
    assert before.revision == 0

    await store.save_ledger(before, before.release("app-rejected"))

    after = await store.ledger(uscc, 2026)
    assert after.revision == 1
    assert "app-rejected" in after.released
    assert after.prior_unredeemed_cny == Decimal("3000000.00")


async def test_a_conditional_replace_is_won_by_one_writer_only(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    collections = [c[database]["things"] for c in clients]
    await collections[0].insert_one({"_id": "T", "revision": 1, "by": None})
    for revision in range(1, ROUNDS + 1):
        won = await asyncio.gather(
            *(
                replace_if(col, "T", {"revision": revision}, {"revision": revision + 1, "by": i})
                for i, col in enumerate(collections)
            )
        )
        assert sum(won) == 1, f"revision {revision}: {sum(won)} writers replaced it"
        stored = await collections[0].find_one({"_id": "T"})
        assert stored is not None
        assert (stored["revision"], stored["by"]) == (revision + 1, won.index(True))


async def test_conditional_updates_in_bulk_are_each_won_by_one_writer_only(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    collections = [c[database]["things"] for c in clients]
    ids = [f"T{n}" for n in range(12)]
    await collections[0].insert_many([{"_id": i, "revision": 1, "writes": 0} for i in ids])
    for revision in range(1, ROUNDS // 5 + 1):
        update = {"$inc": {"revision": 1, "writes": 1}}

        def holds(doc: Document, r: int = revision) -> bool:
            return bool(doc["revision"] == r)

        await asyncio.gather(
            *(
                update_all_if(
                    col,
                    {i: update for i in ids[n % 4 :]},
                    {"revision": revision},
                    holds,
                )
                for n, col in enumerate(collections)
            )
        )
        stored = {d["_id"]: (d["revision"], d["writes"]) async for d in collections[0].find({})}
        assert stored == {i: (revision + 1, revision) for i in ids}, f"revision {revision}"


async def test_one_of_several_writers_of_a_case_saves_and_the_others_are_told_to_read_again(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    stores = [NotificationStore(c, database) for c in clients]
    at = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
    for n in range(ROUNDS // 5):
        application_id = f"SZV2026-RACE{n:04d}{uuid.uuid4().hex[:8].upper()}"
        await stores[0].save(StoredCase(open_case(application_id, make_uscc(n + 1), at), {}, [], [], 0))
        loaded = [await s.load(application_id) for s in stores]

        async def save(i: int, store: NotificationStore, stored: StoredCase | None) -> bool:
            assert stored is not None
            stored.case = stored.case.moved_to(
                StatusChange(at=at + timedelta(minutes=i), status="needs_review", by=f"writer-{i}")
            )
            try:
                await store.save(stored)
            except TransientError:
                return False
            return True

        pairs = enumerate(zip(stores, loaded, strict=True))
        won = await asyncio.gather(*(save(i, s, c) for i, (s, c) in pairs))
        assert sum(won) == 1, f"case {n}: {sum(won)} writers saved over one revision"
        final = await stores[0].load(application_id)
        assert final is not None
        assert final.revision == 2
        assert final.case.timeline[-1].by == f"writer-{won.index(True)}"


async def test_ledger_writers_from_one_revision_cannot_both_reserve(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    stores = [EligibilityStore(c, database) for c in clients]
    uscc = make_uscc(lone_serial())
    empty = Ledger(applicant_uscc=uscc, program_year=2026)
    await stores[0].save_ledger(empty, empty.reserve("app-0", Decimal("2000000.00"), CAP))
    for n in range(ROUNDS // 5):
        before = [await s.ledger(uscc, 2026) for s in stores]

        async def reserve(i: int, store: EligibilityStore, ledger: Ledger, n: int = n) -> bool:
            try:
                after = ledger.reserve(f"app-{n}-{i}", Decimal("1000000.00"), CAP)
                await store.save_ledger(ledger, after)
            except ConcurrentUpdate:
                return False
            return True

        pairs = enumerate(zip(stores, before, strict=True))
        won = await asyncio.gather(*(reserve(i, s, b) for i, (s, b) in pairs))
        assert sum(won) == 1, f"round {n}: {sum(won)} reservations over one revision"
    stored = await stores[0].ledger(uscc, 2026)
    assert stored.committed() == Decimal("2000000.00") + Decimal("1000000.00") * (ROUNDS // 5)
    assert stored.committed() <= CAP


async def test_a_guard_left_by_a_writer_that_died_holds_until_its_slot_ends(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    collection = clients[0][database]["things"]
    start = (int(datetime.now(UTC).timestamp() // SLOT) + 10) * SLOT  # a slot's first second
    died = guard(collection, "T", clock=lambda: start)
    await died.__aenter__()  # taken and never given back
    with pytest.raises(GuardBusy):
        async with guard(collection, "T", wait_s=0.2, clock=lambda: start + SLOT / 2):
            pass
    async with guard(collection, "T", wait_s=0.2, clock=lambda: start + SLOT):
        pass  # the next slot is free
