"""Writers that race on one document, run concurrently and many times against the real store.

The local store applies a conditional update as a query followed by a write, so two writers can
both see the condition hold. Whatever one of them must win alone is decided by an insert with a
unique id, which the store refuses to repeat: a letter's sending round, and a yearly ledger's
first write. Each test works in a database of its own.
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
from notification.adapters.mongo_store import NotificationStore
from pymongo import AsyncMongoClient
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect

from tests.support.infra import Infra
from tests.support.samples import make_uscc

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


async def test_exactly_one_sender_wins_a_letters_round_however_many_race_for_it(
        clients: list[AsyncMongoClient[Document]], database: str) -> None:
    stores = [NotificationStore(c, database) for c in clients]
    now = datetime.now(UTC)
    for n in range(ROUNDS):
        letter_id = f"rejection:dec-{n}-{uuid.uuid4().hex[:8]}"
        await stores[0].hand_over_letter({"_id": letter_id, "application_id": "A", "sent": False,
                                          "claim": None, "next_attempt_at": now, "letter": {}})
        won = await asyncio.gather(*(
            s.claim_letter(letter_id, f"sender-{i}", now, now + timedelta(minutes=2))
            for i, s in enumerate(stores)))
        assert sum(won) == 1, f"round {n}: {sum(won)} senders hold the letter"


async def test_a_letter_sent_by_one_sender_is_not_claimed_again_by_a_late_one(
        clients: list[AsyncMongoClient[Document]], database: str) -> None:
    first, late = NotificationStore(clients[0], database), NotificationStore(clients[1], database)
    now = datetime.now(UTC)
    await first.hand_over_letter({"_id": "L-1", "application_id": "A", "sent": False, "claim": None,
                                  "next_attempt_at": now, "letter": {}})
    assert await first.claim_letter("L-1", "first", now, now + timedelta(minutes=2))
    await first.release_letter("L-1", "first", {"sent": True, "sent_at": now})
    # The round's slots are free again, but the letter was sent: nobody takes it.
    assert not await late.claim_letter("L-1", "late", now, now + timedelta(minutes=2))


async def test_a_sender_that_died_with_its_lease_is_replaced_after_two_slots(
        clients: list[AsyncMongoClient[Document]], database: str) -> None:
    store = NotificationStore(clients[0], database)
    now = datetime.now(UTC)
    await store.hand_over_letter({"_id": "L-2", "application_id": "A", "sent": False, "claim": None,
                                  "next_attempt_at": now, "letter": {}})
    lease = timedelta(minutes=2)
    assert await store.claim_letter("L-2", "died", now, now + lease)
    assert not await store.claim_letter("L-2", "next", now + lease, now + 2 * lease)
    assert await store.claim_letter("L-2", "next", now + 2 * lease, now + 3 * lease)


async def test_the_first_write_of_a_ledger_is_won_by_one_writer_only(
        clients: list[AsyncMongoClient[Document]], database: str) -> None:
    stores = [EligibilityStore(c, database) for c in clients]
    for n in range(ROUNDS):
        uscc = make_uscc(uuid.uuid4().int % 10**7)
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
        clients: list[AsyncMongoClient[Document]], database: str) -> None:
    store = EligibilityStore(clients[0], database)
    uscc = make_uscc(uuid.uuid4().int % 10**7)
    opened = Ledger(applicant_uscc=uscc, program_year=2026, prior_unredeemed_cny=Decimal("3000000.00"))
    await store.ledgers.insert_one({"_id": f"{uscc}:2026", **opened.model_dump(mode="json")})
    before = await store.ledger(uscc, 2026)
    assert before.revision == 0

    await store.save_ledger(before, before.release("app-rejected"))

    after = await store.ledger(uscc, 2026)
    assert after.revision == 1
    assert "app-rejected" in after.released
    assert after.prior_unredeemed_cny == Decimal("3000000.00")
