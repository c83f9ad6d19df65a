"""Documents a process keeps in memory between batches, packed as the store keeps them (BSON),
the most recently used last and the oldest dropped beyond a size: what a consumer wrote, so
that its next batch need not read it again. Each is given back as a read from the store would
give it (`vouchers_shared.store.as_read`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from vouchers_shared.store import Document, as_read, packed


class KeptDocuments:
    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._size, self._clock = size, clock
        self._packed: OrderedDict[str, tuple[float, bytes]] = OrderedDict()  # id: (kept at, BSON)

    def __contains__(self, key: str) -> bool:
        return key in self._packed

    def get(self, key: str, max_age_s: float | None = None) -> Document | None:
        """The document kept under `key`; None if there is none, or (dropped then) if it was
        kept longer ago than `max_age_s`."""
        kept = self._packed.get(key)
        if kept is None:
            return None
        if max_age_s is not None and self._clock() - kept[0] > max_age_s:
            del self._packed[key]
            return None
        self._packed.move_to_end(key)
        return as_read(kept[1])

    def keep(self, key: str, doc: Document | bytes) -> None:
        """Keep `doc` (or a document `packed` already) under `key`."""
        self._packed[key] = (self._clock(), doc if isinstance(doc, bytes) else packed(doc))
        self._packed.move_to_end(key)
        while len(self._packed) > self._size:
            self._packed.popitem(last=False)

    def drop(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._packed.pop(key, None)

    def clear(self) -> None:
        self._packed.clear()
