"""The document store through PyMongo's async API; works on MongoDB and FerretDB alike."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
import zlib
from collections.abc import Sequence
from typing import Any

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from vouchers_shared.observability.store_commands import CommandCounter
from vouchers_shared.settings import CommonSettings

Document = dict[str, Any]
# How every client reads documents back (`connect`): instants as UTC-aware datetimes.
AS_READ: CodecOptions[Document] = CodecOptions(tz_aware=True)


def connect(settings: CommonSettings, app_name: str) -> AsyncMongoClient[Document]:
    """A client; nothing is sent until the first operation. TLS comes from settings."""
    options: dict[str, Any] = {
        "appname": app_name,
        "tz_aware": AS_READ.tz_aware,
        "serverSelectionTimeoutMS": 5000,
        "connectTimeoutMS": 5000,
        "maxPoolSize": settings.mongodb_max_pool_size,
    }
    if settings.store_command_counts:
        options["event_listeners"] = [CommandCounter(app_name)]
    if settings.mongodb_tls:
        options["tls"] = True
        if settings.mongodb_tls_ca_file:
            options["tlsCAFile"] = settings.mongodb_tls_ca_file
    return AsyncMongoClient(settings.mongodb_url, **options)


def packed(doc: Document) -> bytes:
    """The document as the store keeps it (BSON): compact to hold in memory."""
    return bson.encode(doc)


def as_read(packed_doc: bytes) -> Document:
    """A `packed` document as a read from the store gives it back: its instants in UTC to the
    millisecond, so one held in memory is the same as one read again."""
    return bson.decode(packed_doc, AS_READ)


# A document's fields moved into one compressed binary value (`sealed`, `opened`).
SEALED = "sealed"


def sealed(doc: Document, *fields: str) -> Document:
    """`doc` with `fields` (those it has, if any) moved into one value, BSON compressed, for
    what is only ever written and read whole (a verdict's findings, a filing, the events a stage
    emitted). FerretDB keeps a document as JSON text and, on every write, marshals each value and
    parses the whole text again for each index on `_id`: those costs grow with the values a
    document holds, and one binary value is a few times smaller than the findings it holds.
    Nothing queries inside it; a document with none of the fields is returned as it is."""
    inner = {field: doc[field] for field in fields if field in doc}
    if not inner:
        return doc
    outer = {key: value for key, value in doc.items() if key not in inner}
    outer[SEALED] = Binary(zlib.compress(bson.encode(inner), 1))
    return outer


def opened(doc: Document) -> Document:
    """The document `sealed` made, with its fields back in place (instants as `AS_READ`); one
    stored without a sealed value (written before sealing) as it is."""
    if SEALED not in doc:
        return doc
    outer = {key: value for key, value in doc.items() if key != SEALED}
    outer.update(bson.decode(zlib.decompress(doc[SEALED]), AS_READ))
    return outer


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:  # readiness only reports; the reason is in the store's own log
        return False
    return True


_FERRETDB: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()  # client -> is FerretDB


async def is_ferretdb(client: AsyncMongoClient[Document]) -> bool:
    """True for FerretDB (asked once per client). On SQLite it answers only a filter that is
    exactly `{"_id": x}` by index, and it makes no conditional write atomic."""
    if (known := _FERRETDB.get(client)) is None:
        info = await client.admin.command("buildInfo")
        known = _FERRETDB[client] = "ferretdbVersion" in info
    return known


async def ensure_index(collection: AsyncCollection[Document], keys: list[tuple[str, int]]) -> None:
    """A secondary index where the server uses one (MongoDB). FerretDB would only maintain it:
    it never uses one for a query, and each index costs every write another parse of the
    whole document."""
    if not await is_ferretdb(collection.database.client):
        await collection.create_index(keys)


# FerretDB 1.24 does not answer an `update` of 100 statements or more; a bulk write goes in
# parts well below that on every store.
BULK_PART = 50
DUPLICATE_KEY = 11000
# FerretDB 1.24 keeps the read behind each statement of an `update` open until the whole
# command ends, and each holds one of the database's 100 SQLite connections while the next
# waits for another: a few large updates at once would hold them all and wait for each other
# for ever. So on FerretDB a process sends one update command at a time, of at most this many
# statements; with its other commands (MONGODB_MAX_POOL_SIZE, one connection each) it holds
# at most 16 + 15 of them, and three processes of a service stay below the hundred.
FERRETDB_UPDATES_PER_COMMAND = 16
_UPDATE_TURNS: weakref.WeakKeyDictionary[Any, asyncio.Semaphore] = weakref.WeakKeyDictionary()
_UPDATES = (UpdateOne, UpdateMany, ReplaceOne)


async def find_by_ids(collection: AsyncCollection[Document], ids: Sequence[Any]) -> dict[Any, Document]:
    """The documents of `ids` that exist, by id: one query (`$in`), or on FerretDB, which
    answers only `{"_id": x}` by index, one read by id each, all in flight at once."""
    if not ids:
        return {}
    if await is_ferretdb(collection.database.client):
        found = await asyncio.gather(*(collection.find_one({"_id": i}) for i in ids))
        return {doc["_id"]: doc for doc in found if doc is not None}
    return {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": list(ids)}})}


async def bulk(collection: AsyncCollection[Document], requests: Sequence[Any]) -> int:
    """Make `requests` (InsertOne, UpdateOne, ...) in bulk writes of `BULK_PART` at most, each
    unordered; the first write error fails the call once its part is done. Returns how many
    documents the replacements and updates matched."""
    matched, part = 0, BULK_PART
    turn: contextlib.AbstractAsyncContextManager[object] = contextlib.nullcontext()
    client = collection.database.client
    if any(isinstance(r, _UPDATES) for r in requests) and await is_ferretdb(client):
        part, turn = FERRETDB_UPDATES_PER_COMMAND, _update_turn(client)
    for start in range(0, len(requests), part):
        async with turn:
            result = await collection.bulk_write(list(requests[start : start + part]), ordered=False)
        matched += result.matched_count
    return matched


def _update_turn(client: AsyncMongoClient[Document]) -> asyncio.Semaphore:
    """The client's turn to send an update command to FerretDB (one at a time)."""
    if (turn := _UPDATE_TURNS.get(client)) is None:
        turn = _UPDATE_TURNS[client] = asyncio.Semaphore(1)
    return turn


async def replace_all(collection: AsyncCollection[Document], documents: Sequence[Document]) -> None:
    """Write each document whole under its id (inserted when new), in bulk writes."""
    await bulk(collection, [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents])


async def insert_new(collection: AsyncCollection[Document], documents: Sequence[Document]) -> None:
    """Insert each document whose id is not stored yet; one stored before is left as it is."""
    await insert_or_taken(collection, documents)


async def insert_or_replace(collection: AsyncCollection[Document], documents: Sequence[Document]) -> None:
    """Write each document whole under its id, as `replace_all` does, for documents that are
    mostly new: each is inserted, and only those whose id turns out to be taken are replaced. An
    insert costs the local store neither the read nor the turn that a replacement costs."""
    await replace_all(collection, await insert_or_taken(collection, documents))


async def insert_or_taken(
    collection: AsyncCollection[Document], documents: Sequence[Document]
) -> list[Document]:
    """Insert `documents`; returns those not inserted because their id is stored already."""
    taken: list[Document] = []
    for start in range(0, len(documents), BULK_PART):
        part = documents[start : start + BULK_PART]
        try:
            await collection.bulk_write([InsertOne(d) for d in part], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", ())
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken += [part[e["index"]] for e in errors]
    return taken
