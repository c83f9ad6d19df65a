"""Checking for newer reference data costs one small read per freshness window, however many
records of a batch ask at once; a snapshot this process stores is in force at once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vouchers_shared.refdata import Snapshot
from vouchers_shared.refdata_store import RefdataStore
from vouchers_shared.testing.memory_mongo import MemoryMongo

DATABASE = "test_refdata"
AT = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class SlowVersions:
    """The versions collection, answering after a pause and counting its reads."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.reads, self.answered = inner, 0, asyncio.Event()

    async def find_one(self, query: Any) -> Any:
        self.reads += 1
        found = await self.inner.find_one(query)
        self.answered.set()
        await asyncio.sleep(0.01)  # the answer is on its way back
        return found

    async def update_one(self, *args: Any, **kwargs: Any) -> Any:
        return await self.inner.update_one(*args, **kwargs)


def store(fresh_s: float) -> tuple[RefdataStore, SlowVersions, MemoryMongo]:
    mongo = MemoryMongo()
    refdata = RefdataStore(mongo.as_client(), DATABASE, fresh_s=fresh_s)
    slow = SlowVersions(refdata._versions)
    refdata._versions = slow  # type: ignore[assignment]
    return refdata, slow, mongo


async def test_records_asking_together_share_one_read() -> None:
    refdata, versions, mongo = store(fresh_s=60.0)
    await mongo[DATABASE]["refdata_versions"].insert_one({"_id": "versions", "providers": "v1"})
    answers = await asyncio.gather(*(refdata.versions() for _ in range(100)))
    assert answers == [{"providers": "v1"}] * 100
    assert versions.reads == 1
    assert await refdata.versions() == {"providers": "v1"}
    assert versions.reads == 1  # still fresh


async def test_a_stale_reading_is_read_again_once() -> None:
    refdata, versions, mongo = store(fresh_s=0.0)
    await mongo[DATABASE]["refdata_versions"].insert_one({"_id": "versions", "providers": "v1"})
    await refdata.versions()
    await mongo[DATABASE]["refdata_versions"].replace_one({"_id": "versions"}, {"providers": "v2"})
    answers = await asyncio.gather(*(refdata.versions() for _ in range(10)))
    assert answers == [{"providers": "v2"}] * 10
    assert versions.reads == 2


async def test_a_read_begun_before_a_local_save_does_not_hide_it() -> None:
    refdata, versions, mongo = store(fresh_s=60.0)
    await mongo[DATABASE]["refdata_versions"].insert_one({"_id": "versions", "providers": "v1"})
    reading = asyncio.ensure_future(refdata.versions())
    await versions.answered.wait()  # the read has its answer, on its way back
    await refdata.save(
        Snapshot(kind="providers", version="v2", loaded_at=AT, loaded_by="operator-1", items=[])
    )
    assert await reading == {"providers": "v1"}
    assert await refdata.versions() == {"providers": "v2"}
    assert versions.reads == 2
