"""`kill -9` of each service while a batch streams through it, then a restart: every
application still reaches its final status, and nothing happens twice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.batch import Filer, Planned
from tests.support.fault_rig import FaultRig

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.mark.parametrize("service", ["intake", "eligibility", "verification", "notification"])
def test_a_service_killed_mid_stream_loses_and_doubles_nothing(rig: FaultRig, service: str) -> None:
    def fault(planned: list[Planned], filer: Filer) -> dict[str, Any]:
        at = rig.when_busy(service, planned)
        rig.kill(service)
        rig.start(service)
        return {"killed": service, "handled_before_the_kill": at}

    tally = rig.run(f"kill-{service}", fault)
    assert tally.duplicates == 0, tally.doubled
    assert tally.lost == 0, tally.missing
    assert tally.reserved_cny == tally.passing_totals_cny
    assert not tally.unreleased
