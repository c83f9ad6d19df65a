"""Fixtures for the suite-level tests: real Kafka and a real MongoDB-protocol store.

The `infra` fixture starts nothing until a test asks for it (see tests/support/infra.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.infra import Infra, provide_infra


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide_infra() as provided:
        yield provided
