"""The program clock: real time, or time that starts at VOUCHER_CLOCK and runs on from it."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class ProgramClock:
    """Timezone-aware program time in Asia/Shanghai."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("VOUCHER_CLOCK must carry a UTC offset, e.g. 2026-05-20T10:00:00+08:00")
        self._start = start
        self._started_monotonic = time.monotonic()

    @classmethod
    def from_setting(cls, value: str | None) -> ProgramClock:
        """Build from the VOUCHER_CLOCK setting (an ISO-8601 instant), or real time when unset."""
        if not value:
            return cls()
        try:
            start = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"VOUCHER_CLOCK is not an ISO-8601 instant: {value!r}") from exc
        return cls(start)

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(SHANGHAI)
        elapsed = timedelta(seconds=time.monotonic() - self._started_monotonic)
        return (self._start + elapsed).astimezone(SHANGHAI)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stands still (tests, replays)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a clock instant must be timezone-aware")
        self.at = at.astimezone(SHANGHAI)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()
