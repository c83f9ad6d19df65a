"""Applications per status for the `vouchers_applications` gauge, without reading the read model.

The projector notes each change of status it saved (`moved`) in this process's memory; a job
adds what it noted to one small counters document every second (nothing when nothing moved),
and the gauge is set from that document, read by id, every `GAUGE_EVERY_S`. The whole read
model is counted only once, when the process starts (before it consumes), which also puts
right what a process that died between a saved view and its next flush failed to add. What
can still be off: the changes another replica had noted but not yet added when this one
recounted (at most a second's worth), until the next recount.
"""

from __future__ import annotations

import time
from collections import Counter

from vouchers_shared.observability.metrics import APPLICATIONS_BY_STATUS

from intake.adapters.mongo_store import IntakeStore
from intake.domain.status import OFFICIAL_WORDING

GAUGE_EVERY_S = 10.0


class StatusCounts:
    def __init__(self, store: IntakeStore, gauge_every_s: float = GAUGE_EVERY_S) -> None:
        self._store = store
        self._pending: Counter[str] = Counter()
        self._gauge_every_s = gauge_every_s
        self._gauge_at = float("-inf")

    def moved(self, before: str | None, after: str) -> None:
        """A view was saved with status `after`, having had `before` (None: a new view)."""
        if before == after:
            return
        if before is not None:
            self._pending[before] -= 1
        self._pending[after] += 1

    async def recount(self) -> dict[str, int]:
        """Count the read model and store that as the counters (on start)."""
        counts = await self._store.count_by_status()
        await self._store.set_status_counts(counts)
        self._pending.clear()
        self._publish(counts)
        return counts

    async def flush(self) -> None:
        """Add what moved since the last flush to the counters document."""
        deltas = {status: n for status, n in self._pending.items() if n}
        if deltas:
            await self._store.add_status_counts(deltas)
            self._pending.subtract(deltas)

    async def tick(self) -> None:
        """The periodic job: flush, and read the counters for the gauge now and then."""
        await self.flush()
        if time.monotonic() - self._gauge_at >= self._gauge_every_s:
            self._publish(await self._store.status_counts())
            self._gauge_at = time.monotonic()

    @staticmethod
    def _publish(counts: dict[str, int]) -> None:
        for status in OFFICIAL_WORDING:
            APPLICATIONS_BY_STATUS.labels(status=status).set(counts.get(status, 0))
