"""The store's bulk writers on the real store: mostly new documents inserted, those stored
before replaced whole, whichever part of a bulk write they fall in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import BULK_PART, Document, connect, insert_new, insert_or_replace

from tests.support.infra import Infra

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
COUNT = 2 * BULK_PART + 7  # three parts
STORED = range(3, COUNT, 9)  # some in every part


@pytest.fixture
async def collection(infra: Infra) -> AsyncIterator[AsyncCollection[Document]]:
    client: AsyncMongoClient[Document] = connect(CommonSettings(mongodb_url=infra.mongodb_url), "writes")
    name = f"test_writes_{uuid.uuid4().hex[:8]}"
    yield client[name]["docs"]
    await client.drop_database(name)
    await client.close()


def documents(version: str) -> list[Document]:
    return [{"_id": f"d-{n:03d}", "version": version, "n": n} for n in range(COUNT)]


async def stored(collection: AsyncCollection[Document]) -> dict[str, str]:
    return {d["_id"]: d["version"] async for d in collection.find({})}


async def test_insert_or_replace_leaves_every_document_as_written(
    collection: AsyncCollection[Document],
) -> None:
    await collection.insert_many([{**documents("old")[n], "extra": True} for n in STORED])

    await insert_or_replace(collection, documents("new"))

    assert await stored(collection) == {d["_id"]: "new" for d in documents("new")}
    assert await collection.count_documents({"extra": True}) == 0  # replaced whole


async def test_insert_new_leaves_documents_stored_before_as_they_were(
    collection: AsyncCollection[Document],
) -> None:
    await collection.insert_many([documents("old")[n] for n in STORED])

    await insert_new(collection, documents("new"))

    expected = {d["_id"]: "old" if d["n"] in STORED else "new" for d in documents("new")}
    assert await stored(collection) == expected
