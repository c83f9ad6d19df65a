"""Many writes at once on one database of the local store, as several processes of a service
send them: every one completes.

FerretDB's SQLite backend keeps 100 connections per database, and a write holds one while it
waits for another; an update command holds one per statement until it ends. Writes that hold
all hundred at once wait for each other for ever. Each process bounds what it has in flight
(MONGODB_MAX_POOL_SIZE) and sends its update commands one at a time and in small parts
(vouchers_shared.store.bulk), so three processes writing as fast as they can stay below that.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient, ReplaceOne
from pymongo.results import UpdateResult
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, bulk, connect

from tests.support.infra import Infra

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PROCESSES = 3
DOCUMENTS = 200


@pytest.fixture
async def clients(infra: Infra) -> AsyncIterator[list[AsyncMongoClient[Document]]]:
    settings = CommonSettings(mongodb_url=infra.mongodb_url)
    made = [connect(settings, f"pool-{n}") for n in range(PROCESSES)]
    yield made
    for client in made:
        await client.close()


@pytest.fixture
async def database(clients: list[AsyncMongoClient[Document]]) -> AsyncIterator[str]:
    name = f"test_pool_{uuid.uuid4().hex[:8]}"  # its own SQLite file: nothing else waits on it
    await clients[0][name]["docs"].insert_many([{"_id": i, "pad": "x" * 2000} for i in range(DOCUMENTS)])
    yield name
    await clients[0].drop_database(name)


async def test_single_writes_from_three_processes_all_at_once_all_finish(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    writes = [
        client[database]["docs"].update_one({"_id": (p * 150 + i) % DOCUMENTS}, {"$set": {"by": p}})
        for p, client in enumerate(clients)
        for i in range(150)
    ]
    results = await asyncio.wait_for(asyncio.gather(*writes), timeout=120)

    assert sum(r.matched_count for r in results) == PROCESSES * 150


async def test_bulk_and_single_writes_from_three_processes_all_at_once_all_finish(
    clients: list[AsyncMongoClient[Document]], database: str
) -> None:
    def replacements(p: int) -> list[ReplaceOne[Document]]:
        return [ReplaceOne({"_id": i}, {"pad": "y" * 2000, "by": p}) for i in range(DOCUMENTS)]

    work = [
        *(
            bulk(client[database]["docs"], replacements(p))
            for p, client in enumerate(clients)
            for _ in range(4)
        ),
        *(
            client[database]["docs"].update_one({"_id": i}, {"$set": {"single": p}})
            for p, client in enumerate(clients)
            for i in range(40)
        ),
    ]
    done = await asyncio.wait_for(asyncio.gather(*work), timeout=180)

    bulk_matched = [d for d in done if isinstance(d, int)]
    assert bulk_matched == [DOCUMENTS] * (PROCESSES * 4)  # every replacement found its document
    assert sum(d.matched_count for d in done if isinstance(d, UpdateResult)) == PROCESSES * 40
