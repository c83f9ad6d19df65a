"""The program clock: real time, or time that starts at VOUCHER_CLOCK and runs on from it.

One program clock for a whole suite: every process reads it as the same fixed offset from the
wall clock, so events of different services keep their order whichever process started when.
VOUCHER_CLOCK takes three forms:

- unset or empty: real time;
- `<program instant>@<wall instant>`, e.g. `2026-05-20T10:00:00+08:00@2026-12-03T07:50:00Z`:
  the program clock read the first instant when the wall clock read the second, and runs on at
  the wall clock's pace. Every process given it reads the same time, whenever it starts;
- `<program instant>` alone, for people: time starts at that instant when the process starts.
  What starts several processes (suitectl, the tests, the benchmark, docker compose) turns it
  into the first form once, with `anchored`, before starting any of them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANCHOR = "@"
WallClock = Callable[[], datetime]


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


def wall_now() -> datetime:
    return datetime.now(UTC)


def _instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"VOUCHER_CLOCK: the {what} is not an ISO-8601 instant: {text!r}") from exc
    if value.tzinfo is None:
        raise ValueError(
            f"VOUCHER_CLOCK: the {what} must carry a UTC offset, e.g. 2026-05-20T10:00:00+08:00, not {text!r}"
        )
    return value


def parse(value: str) -> tuple[datetime, datetime | None]:
    """The program instant of a VOUCHER_CLOCK setting, and the wall instant it is anchored to
    (None for the plain form)."""
    program, anchor, wall = value.partition(ANCHOR)
    at = _instant(program, "program instant")
    return at, (_instant(wall, "wall instant after '@'") if anchor else None)


def anchored(value: str | None, now: WallClock = wall_now) -> str | None:
    """A VOUCHER_CLOCK setting in the anchored form: a plain instant is fixed to the wall clock
    now; an anchored one is kept as it is; unset (real time) stays unset."""
    if not value or not value.strip():
        return value
    program, wall = parse(value)
    if wall is not None:
        return value.strip()
    return f"{program.isoformat()}{ANCHOR}{now().astimezone(UTC).isoformat()}"


class ProgramClock:
    """Timezone-aware program time in Asia/Shanghai: real time, or `program_at` at `wall_at`
    and on from there at the wall clock's pace."""

    def __init__(
        self,
        program_at: datetime | None = None,
        wall_at: datetime | None = None,
        *,
        wall: WallClock = wall_now,
    ) -> None:
        if program_at is not None and program_at.tzinfo is None:
            raise ValueError("VOUCHER_CLOCK must carry a UTC offset, e.g. 2026-05-20T10:00:00+08:00")
        if wall_at is not None and wall_at.tzinfo is None:
            raise ValueError("the wall instant of VOUCHER_CLOCK must carry a UTC offset")
        self._wall = wall
        self._offset: timedelta | None = None
        if program_at is not None:
            self._offset = program_at - (wall_at if wall_at is not None else wall())

    @classmethod
    def from_setting(cls, value: str | None, *, wall: WallClock = wall_now) -> ProgramClock:
        """Build from the VOUCHER_CLOCK setting (see the module), or real time when unset."""
        if not value or not value.strip():
            return cls(wall=wall)
        program_at, wall_at = parse(value)
        return cls(program_at, wall_at, wall=wall)

    @property
    def offset(self) -> timedelta | None:
        """Program time minus wall time (None: real time)."""
        return self._offset

    def now(self) -> datetime:
        wall = self._wall()
        return (wall if self._offset is None else wall + self._offset).astimezone(SHANGHAI)

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


def keep_or_anchor(setting: str | None, kept: str | None, now: WallClock = wall_now) -> str:
    """The anchored setting for `setting`: `kept` (an anchored setting resolved before) while it
    is the same program instant, so processes started later agree with those already running;
    else `setting` anchored now."""
    if not setting or not setting.strip():
        return ""
    program, wall = parse(setting)
    if wall is None and kept and _anchored_at(kept) == program:
        return kept.strip()
    return anchored(setting, now) or ""


def _anchored_at(setting: str) -> datetime | None:
    """The program instant of an anchored setting; None for any other (or unreadable) one."""
    try:
        program, wall = parse(setting)
    except ValueError:
        return None
    return program if wall is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m vouchers_shared.clock [--write FILE] [SETTING]`: the anchored form of SETTING
    (default: $VOUCHER_CLOCK); with --write, into FILE, keeping the anchor FILE already holds
    for the same program instant (docker compose's one-shot `clock` service)."""
    parser = argparse.ArgumentParser(prog="python -m vouchers_shared.clock")
    parser.add_argument("setting", nargs="?", default=os.environ.get("VOUCHER_CLOCK", ""))
    parser.add_argument("--write", type=Path, help="the file the services read it from")
    args = parser.parse_args(argv)
    if args.write is None:
        print(anchored(args.setting) or "")
        return 0
    before = args.write.read_text(encoding="utf-8").strip() if args.write.is_file() else None
    resolved = keep_or_anchor(args.setting, before)
    args.write.write_text(resolved + "\n", encoding="utf-8")
    print(f"VOUCHER_CLOCK={resolved}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
