"""The fault tests run on a suite of their own (tests/support/fault_rig.py): they kill services
and stop Kafka and the store, which the session's shared suite must never see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fault_rig import FaultRig, fault_rig

# The periodic jobs (notification's sweep and letters, intake's outbox relay) at the services'
# defaults instead of the suite tests' 0.5 s: each round reads whole collections of the store.
PERIODIC = {"SWEEP_INTERVAL_S": "5", "OUTBOX_RELAY_INTERVAL_S": "2"}


@pytest.fixture(scope="session")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultRig]:
    with fault_rig(tmp_path_factory.mktemp("faults"), PERIODIC) as running:
        yield running
