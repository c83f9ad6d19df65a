"""One benchmark at a time: a second run refuses to start while another holds `.run/bench`,
whose clean-up would wipe the data the second one runs on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.bench.suite import BenchBusy, held

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from pathlib import Path
from deploy.bench.suite import held
with held(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_run_is_refused_while_the_first_holds_the_directory_then_let_in(tmp_path: Path) -> None:
    with held(tmp_path), pytest.raises(BenchBusy, match=f"pid {os.getpid()}"), held(tmp_path):
        pass
    with held(tmp_path):  # the first one ended: free again
        pass


def test_the_lock_goes_with_its_process_however_it_ends(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "deploy" / "local")])}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BenchBusy, match=f"pid {holder.pid}"), held(tmp_path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up of its own
        holder.wait(timeout=30)
    with held(tmp_path):
        pass
