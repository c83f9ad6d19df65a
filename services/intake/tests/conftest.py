"""Test support for the intake service's unit tests."""

from __future__ import annotations

import sys
from pathlib import Path

# Test support lives in tests/support; under --import-mode=importlib it is put on the path here.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))
