"""Whether a process's consumers are behind, for periodic work that can wait while they are.

A poll that hands a consumer a full batch (as many records as it takes at once) left records
waiting: the consumer is behind. It counts as behind for `hold_s` after its last full batch, so
the moments between two full batches do not let the waiting work in. A batch that is not full
says nothing: the consumer may have caught up, or another one of the process may still be behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

HOLD_S = 10.0


@dataclass
class Backlog:
    hold_s: float = HOLD_S
    clock: Callable[[], float] = time.monotonic
    _full_at: float | None = None

    def batch(self, records: int, most: int) -> None:
        """A poll handed a consumer `records` records; it takes `most` at once."""
        if records >= most:
            self._full_at = self.clock()

    def behind(self) -> bool:
        return self._full_at is not None and self.clock() - self._full_at < self.hold_s
