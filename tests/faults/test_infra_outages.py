"""Kafka, then the store, stopped while a batch streams through and started again on the same
data and ports: producers, consumers and the filing API wait and retry, and every application
still reaches its final status exactly once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.batch import Filer, Planned
from tests.support.fault_rig import FaultRig

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.mark.parametrize(("part", "down_s"), [("kafka", 10.0), ("store", 8.0)])
def test_an_outage_mid_stream_loses_and_doubles_nothing(rig: FaultRig, part: str, down_s: float) -> None:
    def fault(planned: list[Planned], filer: Filer) -> dict[str, Any]:
        at = rig.when_busy("eligibility", planned, share=0.2)
        filed = filer.filed()
        stop_s = rig.own.stop(part)
        time.sleep(down_s)  # the outage itself: what the services must ride out
        began = time.monotonic()
        rig.own.start(part)
        return {
            "stopped": part,
            "handled_before_the_stop": at,
            "filed_before_the_stop": filed,
            "stop_seconds": round(stop_s, 1),
            "down_seconds": down_s,
            "start_seconds": round(time.monotonic() - began, 1),
        }

    tally = rig.run(f"{part}-outage", fault)
    assert tally.duplicates == 0, tally.doubled
    assert tally.lost == 0, tally.missing
    assert tally.reserved_cny == tally.passing_totals_cny
    assert not tally.unreleased
