"""A service's own copy of the reference data, fed from the compacted snapshot topics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pymongo import AsyncMongoClient

from vouchers_shared.errors import PoisonMessage
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.refdata import ITEM_MODELS, Snapshot
from vouchers_shared.refdata_checks import snapshot_problems
from vouchers_shared.store import Document
from vouchers_shared.topics import REFDATA_LOADED

T = TypeVar("T")
VERSIONS = "versions"
VERSIONS_FRESH_S = 1.0  # how long a reading of the current versions is taken as current


class RefdataStore:
    """One document per kind holding its newest snapshot; an older one never replaces it.

    Beside them, one small document (`_id` "versions") names each kind's current version, so
    that checking for a newer snapshot reads a few bytes by id rather than the snapshots
    themselves (a store without projection pushdown reads whole documents). That check is made
    at most every `fresh_s` seconds, and at once after this process stored a snapshot: a
    snapshot stored by another replica is in force here within `fresh_s`. Each verdict names
    the versions it was reached on."""

    def __init__(
        self, client: AsyncMongoClient[Document], database: str, fresh_s: float = VERSIONS_FRESH_S
    ) -> None:
        self._collection = client[database]["refdata"]
        self._versions = client[database]["refdata_versions"]
        self._cache: dict[str, Snapshot] = {}
        self._fresh_s = fresh_s
        self._known: tuple[float, dict[str, str]] | None = None  # when read, what
        self._reading: asyncio.Future[dict[str, str]] | None = None  # a read under way

    async def save(self, snapshot: Snapshot) -> bool:
        """Keep `snapshot` if it is newer than the stored one; the version pointer is written
        after the snapshot (and again on a repeat), so it never names a snapshot not stored."""
        current = await self._collection.find_one({"_id": snapshot.kind}, {"version": 1})
        newer = current is None or current["version"] < snapshot.version
        if newer:
            await self._collection.replace_one(
                {"_id": snapshot.kind}, {"_id": snapshot.kind, **snapshot.model_dump()}, upsert=True
            )
        version = snapshot.version if newer or current is None else current["version"]
        await self._versions.update_one({"_id": VERSIONS}, {"$set": {snapshot.kind: version}}, upsert=True)
        self._known = self._reading = None  # a read begun before this save may miss it
        return newer

    async def versions(self) -> dict[str, str]:
        """Each kind's current version, as read from the store at most `fresh_s` ago. Callers
        that find the reading stale together share one read."""
        now = time.monotonic()
        if self._known is not None and now - self._known[0] < self._fresh_s:
            return self._known[1]
        reading = self._reading
        if reading is None:
            reading = self._reading = asyncio.ensure_future(self._read_versions())
            reading.add_done_callback(lambda done: self._read(done, now))
        return await asyncio.shield(reading)

    def _read(self, done: asyncio.Future[dict[str, str]], at: float) -> None:
        if self._reading is not done:
            return  # a save came in between: the reading may be older than it
        self._reading = None
        if not done.cancelled() and done.exception() is None and (found := done.result()):
            self._known = (at, found)

    async def _read_versions(self) -> dict[str, str]:
        doc = await self._versions.find_one({"_id": VERSIONS})
        if doc is None:
            # Snapshots stored before there was a pointer: read their versions once, keep them.
            found = {
                str(d["_id"]): str(d["version"]) async for d in self._collection.find({}, {"version": 1})
            }
            if found:
                await self._versions.update_one({"_id": VERSIONS}, {"$set": found}, upsert=True)
            return found
        return {kind: str(version) for kind, version in doc.items() if kind != "_id"}

    async def current(self, kinds: Sequence[str]) -> dict[str, Snapshot]:
        """The newest snapshot of each kind, read from the store only when its version moved."""
        stored = await self.versions()
        for kind in kinds:
            version = stored.get(kind)
            cached = self._cache.get(kind)
            if version is not None and (cached is None or cached.version != version):
                doc = await self._collection.find_one({"_id": kind})
                if doc is not None:
                    doc.pop("_id")
                    self._cache[kind] = Snapshot.model_validate(doc)
        return {kind: self._cache[kind] for kind in kinds if kind in self._cache}


def empty_snapshot(kind: str) -> Snapshot:
    return Snapshot(
        kind=kind, version="none", loaded_at=datetime.fromtimestamp(0, UTC), loaded_by="nobody", items=[]
    )


class Derived(Generic[T]):
    """A value computed from snapshots, rebuilt only when one of their versions changes."""

    def __init__(self, build: Callable[[dict[str, Snapshot]], T]) -> None:
        self._build = build
        self._key: tuple[str, ...] | None = None
        self._value: T | None = None

    def get(self, snapshots: dict[str, Snapshot]) -> T:
        key = tuple(f"{k}@{s.version}" for k, s in sorted(snapshots.items()))
        if self._key != key or self._value is None:
            self._value = self._build(snapshots)
            self._key = key
        return self._value


async def store_snapshot(inbound: Inbound, store: RefdataStore, wanted: Sequence[str]) -> Sequence[Outgoing]:
    """Handler for the refdata topics: keep the kinds this service needs."""
    if inbound.envelope.type != REFDATA_LOADED:
        raise PoisonMessage(f"unexpected event type {inbound.envelope.type!r} on {inbound.topic}")
    snapshot = inbound.parse(Snapshot)
    if snapshot.kind not in ITEM_MODELS:
        raise PoisonMessage(f"unknown reference-data kind {snapshot.kind!r}")
    if snapshot.kind in wanted:
        # Refuse a snapshot whose items do not validate, or do not hold together (one loaded
        # before intake checked that): the snapshot already kept stays in force.
        problems = snapshot_problems(snapshot.kind, snapshot.parsed())
        if problems:
            raise PoisonMessage(
                f"{snapshot.kind} snapshot {snapshot.version} refused: "
                + "; ".join(p.message for p in problems[:5])
            )
        await store.save(snapshot)
    return ()


def versions_of(snapshots: dict[str, Snapshot]) -> dict[str, str]:
    return {kind: snapshot.version for kind, snapshot in snapshots.items()}
