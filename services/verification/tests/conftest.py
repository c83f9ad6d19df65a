"""Fixtures for the verification service's unit tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test support lives in tests/support; under --import-mode=importlib it is put on the path here.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from verification_testkit import CpaTestServer


@pytest.fixture
def cpa_server() -> Iterator[CpaTestServer]:
    """A CPA platform on a free local port; tests fill its registry and script."""
    server = CpaTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
