"""A document store in memory, answering the PyMongo calls the services' stores make.

It says it is FerretDB, so the stores check their conditions on documents read by id, as they
do on the local store; ids are unique; every document is copied in and out, as a real store
would serialise it. Field paths may be dotted (`emitted.coi`) in queries and in `$set`. It keeps
the size of the largest write of each collection (`largest`), so a test can bound how a
document grows.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from vouchers_shared.store import as_read, packed

Document = dict[str, Any]


def _get(doc: Document, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _set(doc: Document, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


def _matches(doc: Document, query: Document) -> bool:
    for key, wanted in query.items():
        if key == "$or":
            if not any(_matches(doc, q) for q in wanted):
                return False
            continue
        value = _get(doc, key)
        if isinstance(wanted, dict) and wanted and all(k.startswith("$") for k in wanted):
            if not all(_holds(value, op, arg) for op, arg in wanted.items()):
                return False
        elif value != wanted:
            return False
    return True


def _holds(value: Any, op: str, arg: Any) -> bool:
    if op == "$in":
        return value in arg
    if op == "$lte":
        return value is not None and value <= arg
    if op == "$lt":
        return value is not None and value < arg
    raise NotImplementedError(op)


class _Result:
    def __init__(self, matched: int) -> None:
        self.matched_count = matched
        self.deleted_count = matched


class Cursor:
    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs

    def sort(self, field: str, direction: int) -> Cursor:
        self.docs.sort(key=lambda d: str(_get(d, field)), reverse=direction < 0)
        return self

    def skip(self, count: int) -> Cursor:
        self.docs = self.docs[count:]
        return self

    def limit(self, count: int) -> Cursor:
        self.docs = self.docs[:count] if count else self.docs
        return self

    def __aiter__(self) -> AsyncIterator[Document]:
        return self._each()

    async def _each(self) -> AsyncIterator[Document]:
        for doc in self.docs:
            yield doc


class Collection:
    def __init__(self, database: Database, name: str) -> None:
        self.database, self.name = database, name
        self.docs: dict[Any, Document] = {}
        self.largest = 0

    def _put(self, doc: Document) -> None:
        """Keep `doc` as a store gives it back: through BSON, its instants in UTC to the
        millisecond (the client reads with tz_aware, vouchers_shared.store.connect)."""
        encoded = packed(doc)
        self.largest = max(self.largest, len(encoded))
        self.docs[doc["_id"]] = as_read(encoded)

    def _found(self, query: Document) -> Iterator[Document]:
        return (d for d in self.docs.values() if _matches(d, query))

    async def find_one(self, query: Document, projection: Document | None = None) -> Document | None:
        return next((copy.deepcopy(d) for d in self._found(query)), None)

    def find(self, query: Document, projection: Document | None = None) -> Cursor:
        return Cursor([copy.deepcopy(d) for d in self._found(query)])

    async def count_documents(self, query: Document) -> int:
        return sum(1 for _ in self._found(query))

    async def aggregate(self, pipeline: list[Document]) -> Cursor:
        """A single `$group` by one field, counting with `{"$sum": 1}`: what the stores ask."""
        [stage] = pipeline
        group = dict(stage["$group"])
        by = str(group.pop("_id")).removeprefix("$")
        if any(acc != {"$sum": 1} for acc in group.values()):
            raise NotImplementedError(group)
        counts: dict[Any, int] = {}
        for doc in self.docs.values():
            counts[_get(doc, by)] = counts.get(_get(doc, by), 0) + 1
        return Cursor([{"_id": key, **dict.fromkeys(group, n)} for key, n in counts.items()])

    async def insert_one(self, doc: Document) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError(f"E11000 duplicate key {doc['_id']!r} in {self.name}")
        self._put(doc)

    async def replace_one(self, query: Document, doc: Document, upsert: bool = False) -> _Result:
        current = next(self._found(query), None)
        if current is None and not upsert:
            return _Result(0)
        self._put({**doc, "_id": current["_id"] if current else query["_id"]})
        return _Result(1 if current else 0)

    async def update_one(self, query: Document, update: Document, upsert: bool = False) -> _Result:
        current = next(self._found(query), None)
        if current is None and not (upsert and "_id" in query):
            return _Result(0)
        doc = copy.deepcopy(current) if current is not None else {"_id": query["_id"]}
        for op, fields in update.items():
            for key, value in fields.items():
                if op == "$set":
                    _set(doc, key, value)
                elif op == "$push":
                    found = _get(doc, key)
                    _set(doc, key, [*(found or []), value])
                elif op == "$addToSet":
                    found = _get(doc, key) or []
                    _set(doc, key, found if value in found else [*found, value])
                else:
                    raise NotImplementedError(op)
        self._put(doc)
        return _Result(1 if current is not None else 0)

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> _Result:
        """ReplaceOne, UpdateOne, InsertOne and DeleteOne, applied in their order; a duplicate
        key stops an ordered write, and an unordered one goes on (BulkWriteError at the end).
        The result counts the documents replaced or updated (`matched_count`)."""
        errors: list[Document] = []
        matched = 0
        for index, request in enumerate(requests):
            try:
                matched += await self._one_of_bulk(request)
            except DuplicateKeyError as exc:
                errors.append({"index": index, "code": 11000, "errmsg": str(exc)})
                if ordered:
                    break
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": 0})
        return _Result(matched)

    async def _one_of_bulk(self, request: Any) -> int:
        kind, upsert = type(request).__name__, bool(getattr(request, "_upsert", False))
        if kind == "ReplaceOne":
            return (await self.replace_one(request._filter, request._doc, upsert=upsert)).matched_count
        if kind == "UpdateOne":
            return (await self.update_one(request._filter, request._doc, upsert=upsert)).matched_count
        if kind == "InsertOne":
            await self.insert_one(request._doc)
        elif kind == "DeleteOne":
            await self.delete_one(request._filter)
        else:
            raise NotImplementedError(kind)
        return 0

    async def delete_many(self, query: Document) -> _Result:
        gone = [d["_id"] for d in self._found(query)]
        for doc_id in gone:
            del self.docs[doc_id]
        return _Result(len(gone))

    async def delete_one(self, query: Document) -> _Result:
        current = next(self._found(query), None)
        if current is not None:
            del self.docs[current["_id"]]
        return _Result(0 if current is None else 1)

    async def create_index(self, keys: Any) -> None:
        return None


class Database:
    def __init__(self, client: MemoryMongo) -> None:
        self.client = client
        self.collections: dict[str, Collection] = {}

    def __getitem__(self, name: str) -> Collection:
        return self.collections.setdefault(name, Collection(self, name))

    async def command(self, name: str) -> Document:
        assert name in ("buildInfo", "ping"), name
        if self.client.ferretdb:
            return {"ok": 1, "ferretdbVersion": "in-memory"}
        return {"ok": 1, "version": "7.0.0"}


class MemoryMongo:
    """In memory, answering as FerretDB does (guarded writes) or, `ferretdb=False`, as MongoDB
    (conditional writes)."""

    def __init__(self, ferretdb: bool = True) -> None:
        self.ferretdb = ferretdb
        self.databases: dict[str, Database] = {}
        self.admin = Database(self)

    def __getitem__(self, name: str) -> Database:
        return self.databases.setdefault(name, Database(self))

    def as_client(self) -> AsyncMongoClient[Document]:
        return cast(AsyncMongoClient[Document], self)

    async def close(self) -> None:
        return None
