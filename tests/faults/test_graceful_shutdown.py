"""SIGTERM to every service while a batch streams through, as a deploy does: each finishes the
requests, records and periodic rounds in hand and exits by itself well inside the deploy's grace
period; started again, the suite loses and doubles nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import suitectl

from tests.support.batch import Filer, Planned
from tests.support.fault_rig import FaultRig
from tests.support.suite import SERVICE_NAMES

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]
GRACEFUL_TIMEOUT_S = 20.0  # the services' default GRACEFUL_TIMEOUT_S
# Open requests get GRACEFUL_TIMEOUT_S, then consumers and periodic rounds as long again.
WORST_CASE_S = 2 * GRACEFUL_TIMEOUT_S


def test_sigterm_mid_stream_drains_every_service_in_time_and_loses_nothing(rig: FaultRig) -> None:
    assert WORST_CASE_S < suitectl.STOP_GRACE_S  # docker-compose: 45 s; Kubernetes: 60 s

    def fault(planned: list[Planned], _filer: Filer) -> dict[str, Any]:
        at = rig.when_busy("eligibility", planned, share=0.25)
        with ThreadPoolExecutor(len(SERVICE_NAMES)) as pool:
            stops = list(pool.map(lambda name: rig.terminate(name, suitectl.STOP_GRACE_S), SERVICE_NAMES))
        rig.start(*SERVICE_NAMES)
        return {"handled_before_sigterm": at, "exit_seconds": {s.service: round(s.seconds, 1) for s in stops}}

    tally = rig.run("sigterm-all", fault)
    stops = rig.stops[-len(SERVICE_NAMES) :]
    for stopped in stops:
        assert stopped.said_stopped, f"{stopped.service} did not log service_stopped"
        assert stopped.returncode in (0, -15), stopped  # uvicorn re-raises the SIGTERM it caught
        assert stopped.seconds < WORST_CASE_S, stopped
    assert tally.duplicates == 0, tally.doubled
    assert tally.lost == 0, tally.missing
    assert tally.reserved_cny == tally.passing_totals_cny
    assert not tally.unreleased
