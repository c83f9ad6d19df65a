"""The cases this process's case consumer wrote last, kept so that its next batches need not
read them again: an application's verdicts come in three or four batches, moments apart.

A kept case is what the store holds only while nobody else wrote it since. Three kinds of
writer could have:

- another writer of this process (the API, the sweep, a record handled on its own): it writes
  inside `writing`, which drops the case before the write and after it and hides it while the
  write is under way; `NotificationStore.save` then keeps the case as it wrote it;
- a writer of another process (an API call served there, its sweep): it notes each write in
  `case_writes` first (`NotificationStore.save`), and a batch that finds a note of a later
  revision than its kept one reads the case;
- another process's consumer, once the group gave it the case's partition: every assignment
  writes the partition's owner in `case_writes` before its first record, and a batch uses
  kept cases only of partitions whose owner is still this process.

A batch asks while it holds its cases' guards (FerretDB) or writes them only at the revision
it used (MongoDB), so what it checked holds until its write. On MongoDB that also covers a writer
that notes nothing (a process of an earlier version, during a rolling update): the batch's write
fails and its records are handled one by one. The local FerretDB runs one version at a time.

A rebalance forgets every kept case, and a batch that began before it keeps nothing
(`generation`). A case is trusted for `TRUSTED_FOR_S` after its write at most: the notes of
other writers are kept longer than that.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from vouchers_shared.kept import KeptDocuments
from vouchers_shared.store import Document

KEPT_CASES = 8_000  # about 2.5 KB each, packed: the verdicts of a backlog of thousands
TRUSTED_FOR_S = 300.0


class KeptCases:
    def __init__(
        self, size: int = KEPT_CASES, clock: Callable[[], float] = time.monotonic, owner: str | None = None
    ) -> None:
        self.owner = owner or uuid.uuid4().hex  # this process, as partition owner
        self.generation = 0
        self._cases = KeptDocuments(size, clock)
        self._writing: Counter[str] = Counter()
        self._owned: set[int] = set()  # partitions this process is the noted owner of

    def holds(self, application_id: str) -> bool:
        """A case of that id was written by this process (trusted or not): it is stored."""
        return application_id in self._cases

    def owns(self, partition: int) -> bool:
        return partition in self._owned

    def get(self, application_id: str) -> Document | None:
        """The case as this process last wrote it, unless it is too old to trust or another
        writer of this process is writing it."""
        if self._writing[application_id]:
            return None
        return self._cases.get(application_id, max_age_s=TRUSTED_FOR_S)

    def keep(self, written: Mapping[str, bytes], generation: int) -> None:
        """Keep cases as a batch begun in `generation` wrote them (packed BSON, by id), unless a
        rebalance came since or another writer of this process is writing one."""
        if generation != self.generation:
            return
        for application_id, doc in written.items():
            if not self._writing[application_id]:
                self._cases.keep(application_id, doc)

    def drop(self, application_ids: Iterable[str]) -> None:
        self._cases.drop(application_ids)

    def forget_all(self) -> None:
        """Partitions moved: nothing kept is this process's to trust any more."""
        self._cases.clear()
        self._owned = set()
        self.generation += 1

    def owning(self, partitions: set[int], generation: int) -> None:
        """This process was noted as the owner of `partitions` by an assignment in `generation`."""
        if generation == self.generation:
            self._owned = set(partitions)

    @contextmanager
    def writing(self, application_id: str) -> Iterator[None]:
        """Another writer of this process writes the case for the duration of the block."""
        self._cases.drop([application_id])
        self._writing[application_id] += 1
        try:
            yield
        finally:
            self._writing[application_id] -= 1
            if not self._writing[application_id]:
                del self._writing[application_id]
            self._cases.drop([application_id])
