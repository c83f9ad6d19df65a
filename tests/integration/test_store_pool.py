"""Many writes at once on one database of the local store, as several processes of a service
send them: every one completes.

FerretDB's SQLite backend keeps 100 connections per database, and a write holds one while it
waits for a second; a hundred writes in flight at once would wait for each other for ever. Each
process's client bounds what it has in flight (MONGODB_MAX_POOL_SIZE), so four processes
writing as fast as they can stay below that.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect

from tests.support.infra import Infra

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PROCESSES = 4
WRITES_EACH = 150
DOCUMENTS = 200


@pytest.fixture
async def clients(infra: Infra) -> AsyncIterator[list[AsyncMongoClient[Document]]]:
    settings = CommonSettings(mongodb_url=infra.mongodb_url)
    made = [connect(settings, f"pool-{n}") for n in range(PROCESSES)]
    yield made
    for client in made:
        await client.close()


async def test_four_processes_writing_all_at_once_on_one_database_all_finish(
    clients: list[AsyncMongoClient[Document]],
) -> None:
    name = f"test_pool_{uuid.uuid4().hex[:8]}"  # its own SQLite file: nothing else waits on it
    first = clients[0][name]["docs"]
    await first.insert_many([{"_id": i, "pad": "x" * 2000} for i in range(DOCUMENTS)])
    try:
        writes = [
            client[name]["docs"].update_one({"_id": (p * WRITES_EACH + i) % DOCUMENTS}, {"$set": {"by": p}})
            for p, client in enumerate(clients)
            for i in range(WRITES_EACH)
        ]
        results = await asyncio.wait_for(asyncio.gather(*writes), timeout=120)

        assert sum(r.matched_count for r in results) == PROCESSES * WRITES_EACH
        assert await first.count_documents({"by": {"$exists": True}}) == DOCUMENTS
    finally:
        await clients[0].drop_database(name)
