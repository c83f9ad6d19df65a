"""Fixtures for the suite-level tests: real Kafka and a real MongoDB-protocol store.

`infra` starts nothing until a test asks for it (see tests/support/infra.py); `suite` runs the
four services as processes against it, on the program clock of the worked examples, with the
sample reference data loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import Infra, provide_infra
from tests.support.refdata_loading import load_sample_refdata
from tests.support.suite import Suite, run_suite

DEMO_CLOCK = "2026-05-20T10:00:00+08:00"


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide_infra() as provided:
        yield provided


@pytest.fixture(scope="session")
def suite(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    workdir: Path = tmp_path_factory.mktemp("suite")
    with run_suite(infra, workdir, DEMO_CLOCK) as running:
        load_sample_refdata(running)
        yield running
