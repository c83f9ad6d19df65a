"""One program clock for a suite: VOUCHER_CLOCK anchored to the wall clock reads the same in every
process, whenever each was started; the plain instant is anchored once by what starts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from vouchers_shared.clock import SHANGHAI, ProgramClock, anchored, keep_or_anchor, main

PROGRAM = "2026-05-20T10:00:00+08:00"
WALL = datetime(2026, 12, 3, 7, 50, tzinfo=UTC)


class Wall:
    """The wall clock, moved by the test."""

    def __init__(self, at: datetime = WALL) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_two_clocks_built_from_the_same_setting_at_different_moments_agree() -> None:
    wall = Wall()
    setting = anchored(PROGRAM, wall)  # resolved once, as suitectl and the tests do
    first = ProgramClock.from_setting(setting, wall=wall)
    wall.at += timedelta(seconds=7.25)  # the next service takes a while to start
    second = ProgramClock.from_setting(setting, wall=wall)
    for step in (timedelta(0), timedelta(milliseconds=3), timedelta(hours=5)):
        wall.at += step
        assert first.now() == second.now()
    assert first.offset == second.offset


@pytest.mark.parametrize("started_after", [timedelta(0), timedelta(seconds=30), timedelta(days=2)])
def test_an_anchored_setting_reads_its_program_instant_at_its_wall_instant_whenever_started(
    started_after: timedelta,
) -> None:
    wall = Wall(WALL + started_after)
    clock = ProgramClock.from_setting(f"{PROGRAM}@2026-12-03T07:50:00Z", wall=wall)
    assert clock.now() == datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI) + started_after
    wall.at += timedelta(minutes=90)
    assert clock.now() == datetime(2026, 5, 20, 11, 30, tzinfo=SHANGHAI) + started_after
    assert clock.now().tzinfo == SHANGHAI
    assert clock.today() == clock.now().date()


def test_the_plain_instant_starts_when_the_process_starts_and_runs_on() -> None:
    wall = Wall()
    clock = ProgramClock.from_setting(PROGRAM, wall=wall)
    assert clock.now() == datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)
    wall.at += timedelta(seconds=61)
    assert clock.now() == datetime(2026, 5, 20, 10, 1, 1, tzinfo=SHANGHAI)


def test_two_processes_given_the_plain_instant_apart_disagree_so_it_is_anchored_first() -> None:
    wall = Wall()
    first = ProgramClock.from_setting(PROGRAM, wall=wall)
    wall.at += timedelta(seconds=5)
    assert ProgramClock.from_setting(PROGRAM, wall=wall).now() != first.now()
    resolved = anchored(PROGRAM, Wall(WALL))
    assert ProgramClock.from_setting(resolved, wall=wall).now() == first.now()


def test_unset_is_real_time() -> None:
    for setting in (None, "", "  "):
        clock = ProgramClock.from_setting(setting)
        assert clock.offset is None
        assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
        assert clock.now().tzinfo == SHANGHAI


def test_anchoring_fixes_a_plain_instant_keeps_an_anchored_one_and_leaves_real_time() -> None:
    assert anchored(PROGRAM, Wall()) == "2026-05-20T10:00:00+08:00@2026-12-03T07:50:00+00:00"
    already = f"{PROGRAM}@2026-01-01T00:00:00+00:00"
    assert anchored(already, Wall()) == already
    assert anchored(None) is None
    assert anchored("") == ""


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("2026-05-20T10:00:00", "UTC offset"),
        ("tomorrow", "not an ISO-8601 instant"),
        (f"{PROGRAM}@", "wall instant"),
        (f"{PROGRAM}@2026-12-03T07:50:00", "wall instant"),
        (f"{PROGRAM}@later", "wall instant"),
    ],
)
def test_a_setting_that_is_not_an_instant_with_an_offset_is_refused(setting: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        ProgramClock.from_setting(setting)
    with pytest.raises(ValueError, match=complaint):
        anchored(setting)


def test_an_anchor_is_kept_for_the_same_program_instant_and_renewed_for_another() -> None:
    kept = anchored(PROGRAM, Wall())
    later = Wall(WALL + timedelta(hours=1))
    assert keep_or_anchor(PROGRAM, kept, later) == kept
    assert keep_or_anchor("2026-05-20T02:00:00+00:00", kept, later) == kept  # the same instant
    assert keep_or_anchor("2026-05-21T10:00:00+08:00", kept, later).endswith("@2026-12-03T08:50:00+00:00")
    assert keep_or_anchor(PROGRAM, "not a clock", later).endswith("@2026-12-03T08:50:00+00:00")
    assert keep_or_anchor(PROGRAM, None, later).endswith("@2026-12-03T08:50:00+00:00")
    assert keep_or_anchor("", kept, later) == ""


def test_the_command_writes_the_anchor_once_for_every_service_to_read(tmp_path: Path) -> None:
    target = tmp_path / "voucher_clock"
    assert main(["--write", str(target), PROGRAM]) == 0
    first = target.read_text(encoding="utf-8").strip()
    assert ProgramClock.from_setting(first).offset is not None
    assert main(["--write", str(target), PROGRAM]) == 0  # a later `up`: the same anchor
    assert target.read_text(encoding="utf-8").strip() == first
    assert main(["--write", str(target), ""]) == 0
    assert target.read_text(encoding="utf-8").strip() == ""
