"""Compare-and-set writes that cost one lookup by id on every MongoDB-protocol store.

MongoDB applies a conditional write (`{"_id": x, "revision": n}`) atomically, through the id
index. FerretDB 1.x on SQLite uses an index only for a filter that is exactly `{"_id": x}`:
any other filter reads and parses every document of the collection, and the write is not
atomic there anyway (it queries, then writes). So on FerretDB the condition is checked here,
on the document read by id, and the write goes by id alone; on MongoDB the server checks it.
Either way the caller's guarantee comes from handling one applicant at a time (one partition,
one consumer); the condition is the second guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from vouchers_shared.store import Document, is_ferretdb

Condition = Callable[[Document], bool]


async def replace_if(collection: AsyncCollection[Document], doc_id: Any, where: Document,
                     replacement: Document) -> bool:
    """Replace the document `doc_id` if its top-level fields still equal `where`."""
    if not await is_ferretdb(collection.database.client):
        result = await collection.replace_one({"_id": doc_id, **where}, replacement)
        return result.matched_count == 1
    current = await collection.find_one({"_id": doc_id})
    if current is None or any(current.get(k) != v for k, v in where.items()):
        return False
    await collection.replace_one({"_id": doc_id}, replacement)
    return True


async def update_if(collection: AsyncCollection[Document], doc_id: Any, where: Document,
                    holds: Condition, update: Document) -> bool:
    """Apply `update` to the document `doc_id` if it matches the query `where`; `holds` says the
    same of a document as a predicate (checked here when the store cannot check `where` by id)."""
    if not await is_ferretdb(collection.database.client):
        result = await collection.update_one({"_id": doc_id, **where}, update)
        return result.matched_count == 1
    current = await collection.find_one({"_id": doc_id})
    if current is None or not holds(current):
        return False
    await collection.update_one({"_id": doc_id}, update)
    return True


async def find_if(collection: AsyncCollection[Document], doc_id: Any,
                  holds: Condition) -> Document | None:
    """The document `doc_id` if `holds` says it matches (read by id on every store)."""
    current = await collection.find_one({"_id": doc_id})
    return current if current is not None and holds(current) else None
