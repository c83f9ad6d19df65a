"""Single-document inserts from many concurrent callers, sent to the store together.

An HTTP request inserts its documents one at a time, each awaited before the next, and that
order is what its crash safety rests on. Many requests run at once, though, and each insert is a
round trip to the store. `CoalescedInserts` keeps each caller's view (`insert` returns once its
document is stored, or raises `DuplicateKeyError` when its id is taken) while the inserts of all
callers that arrive while one bulk write is on its way go together in the next one (unordered,
so one caller's taken id fails that caller alone). A lone caller waits for no one: its insert
leaves at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import InsertOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, WriteError

from vouchers_shared.store import BULK_PART, DUPLICATE_KEY, Document


class CoalescedInserts:
    def __init__(self, collection: AsyncCollection[Document], most: int = BULK_PART) -> None:
        self._collection, self._most = collection, most
        self._waiting: list[tuple[Document, asyncio.Future[None]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def insert(self, doc: Document) -> None:
        """Store `doc`; `DuplicateKeyError` when a document with its id is stored already."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((doc, done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all())
        await done  # a caller that gives up leaves its document in the write all the same

    async def _send_all(self) -> None:
        while self._waiting:
            part, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            try:
                await self._collection.bulk_write([InsertOne(doc) for doc, _ in part], ordered=False)
            except BulkWriteError as exc:
                _settle_each(part, exc.details)
            except Exception as exc:  # the store is away or refused the command: each caller's error
                for _, done in part:
                    _settle(done, exc)
            except BaseException:  # the sender is cancelled (shutdown): so are its callers
                for _, done in part + self._waiting:
                    done.cancel()
                raise
            else:
                for _, done in part:
                    _settle(done, None)


def _settle_each(part: list[tuple[Document, asyncio.Future[None]]], details: Any) -> None:
    """Each caller's outcome from an unordered bulk write's errors (by index)."""
    failed: dict[int, Exception] = {}
    for error in details.get("writeErrors", ()):
        kind = DuplicateKeyError if error.get("code") == DUPLICATE_KEY else WriteError
        failed[int(error["index"])] = kind(error.get("errmsg", ""), error.get("code"), error)
    concern = details.get("writeConcernErrors") or ()
    for index, (_, done) in enumerate(part):
        if index in failed:
            _settle(done, failed[index])
        elif concern:
            _settle(done, OperationFailure(f"write concern not satisfied: {concern[0]}", 64, concern[0]))
        else:
            _settle(done, None)


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
