"""What a process has used, read from /proc: CPU seconds and peak resident memory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (all its threads), in seconds; 0.0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Field 2 (comm) may hold spaces; what follows the last ')' is fields 3, 4, ...
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory `pid` has held, in MiB; 0.0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class CpuMeter:
    """CPU seconds used by each named process between `start` and `stop`."""

    pids: dict[str, int]

    def __post_init__(self) -> None:
        self._before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self._before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        self.used = {name: cpu_seconds(pid) - self._before.get(name, 0.0) for name, pid in self.pids.items()}
        return self.used
