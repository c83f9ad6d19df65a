"""Pending work named by small marker documents, read by id instead of whole collections.

A marker (`_id` = its target's id, plus when it is due) is written before the document it
points to and removed once that document no longer waits, so a crash between the two writes
leaves a marker to check, never work nobody sees.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from vouchers_shared.store import Document


async def due_targets(
    markers: AsyncCollection[Document],
    targets: AsyncCollection[Document],
    *,
    due_field: str,
    now: datetime,
    limit: int,
    waiting: Callable[[Document], bool],
    orphaned_after: timedelta,
) -> list[Document]:
    """The targets whose markers are due by `now` and that still wait. A marker whose target no
    longer waits is dropped on the way; so is one whose target never came, but only once it is
    `orphaned_after` past due: the target may be on its way into the store, just behind it."""
    due = []
    async for marker in markers.find({due_field: {"$lte": now}}).sort(due_field, ASCENDING).limit(limit):
        target = await targets.find_one({"_id": marker["_id"]})
        if target is not None and waiting(target):
            due.append(target)
        elif target is not None or marker[due_field] < now - orphaned_after:
            await markers.delete_one({"_id": marker["_id"]})
    return due
