"""What the case consumer needs to know whether a case it kept is still as stored (see
`KeptCases`): a note of each case write made by any other writer, and the owner of each
partition of the case topics. Both live in `case_writes`, a collection small enough to read
whole once per batch: a note is deleted once no kept case is trusted that long."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from pymongo.asynchronous.collection import AsyncCollection
from vouchers_shared.store import Document, insert_new, replace_all

from notification.adapters.kept_cases import TRUSTED_FOR_S, KeptCases

NOTES_KEPT_S = 4 * TRUSTED_FOR_S  # far longer than any kept case is trusted
PRUNE_EVERY_S = 60.0


class CaseWrites:
    def __init__(
        self, collection: AsyncCollection[Document], kept: KeptCases, clock: Callable[[], float] = time.time
    ) -> None:
        self.collection, self.kept, self._clock = collection, kept, clock
        self._pruned_at = 0.0

    @asynccontextmanager
    async def noted(self, application_id: str, revision: int) -> AsyncIterator[None]:
        """A write of the case at `revision` by a writer other than the case consumer's batch:
        noted before it is made, and hidden from this process's kept cases while it is."""
        with self.kept.writing(application_id):
            note = {"application_id": application_id, "revision": revision, "at": self._clock()}
            await insert_new(self.collection, [{"_id": f"{application_id}#{revision}", **note}])
            yield

    async def note_owner(self, partitions: set[int]) -> None:
        """Note this process as the owner of `partitions` of the case topics (an assignment),
        before it handles any of their records."""
        generation, at = self.kept.generation, self._clock()
        owners = [{"_id": _owner_id(p), "owner": self.kept.owner, "at": at} for p in partitions]
        await replace_all(self.collection, owners)
        self.kept.owning(partitions, generation)

    async def trusted(self, partitions: Mapping[str, int]) -> dict[str, Document]:
        """The kept cases among `partitions` (application id: its records' partition) that no
        other writer wrote since: one read of `case_writes`, none when none is kept."""
        kept = {i: doc for i, p in partitions.items() if self.kept.owns(p) and (doc := self.kept.get(i))}
        if not kept:
            return {}
        notes = [d async for d in self.collection.find({})]
        owners = {d["_id"]: d.get("owner") for d in notes if "owner" in d}
        written: dict[str, int] = {}
        for note in (d for d in notes if "application_id" in d):
            written[note["application_id"]] = max(written.get(note["application_id"], 0), note["revision"])
        ours = {i for i in kept if owners.get(_owner_id(partitions[i])) == self.kept.owner}
        trusted = {i: doc for i, doc in kept.items() if i in ours and written.get(i, 0) <= doc["revision"]}
        self.kept.drop(set(kept) - set(trusted))
        await self._prune(notes)
        return trusted

    async def _prune(self, notes: list[Document]) -> None:
        now = self._clock()
        if now - self._pruned_at < PRUNE_EVERY_S:
            return
        self._pruned_at = now
        old = [d["_id"] for d in notes if "application_id" in d and d["at"] < now - NOTES_KEPT_S]
        if old:
            await self.collection.delete_many({"_id": {"$in": old}})


def _owner_id(partition: int) -> str:
    return f"owner/{partition}"
