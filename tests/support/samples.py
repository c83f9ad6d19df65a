"""The sample applications and reference data the project ships (deploy/sample)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

from stdnum.cn import uscc as uscc_codes

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "sample"


def sample(name: str) -> dict[str, Any]:
    """One worked example: {"note", "expect", "application"}."""
    data: dict[str, Any] = json.loads((SAMPLES / "applications" / f"{name}.json").read_text("utf-8"))
    return data


def sample_names() -> list[str]:
    return sorted(p.stem for p in (SAMPLES / "applications").glob("*.json"))


def refdata() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads((SAMPLES / "refdata.json").read_text("utf-8"))
    return data


# Applicant serials (seven digits). Fixed ones: 1,000,000-1,999,999 the fault batches
# (tests/support/batch.py), 4,000,000-9,999,999 single applicants a module names. Random ones:
# blocks from BLOCKS for a module's applicants, LONE for one applicant here and there.
BLOCKS = range(2_000_000, 4_000_000)
LONE = range(0, 1_000_000)
_blocks_taken: list[range] = []


def applicant_block(size: int = 100) -> int:
    """The first of `size` applicant serials of this run's own: random, so a store kept between
    runs holds nothing under them yet, and apart from every block another module of this run
    took, so no module finds another's applications under its applicants."""
    rng = random.SystemRandom()
    while True:
        start = BLOCKS.start + rng.randrange((len(BLOCKS) - size) // 100) * 100
        block = range(start, start + size)
        if all(block.stop <= taken.start or taken.stop <= block.start for taken in _blocks_taken):
            _blocks_taken.append(block)
            return start


def lone_serial() -> int:
    """A random serial outside every block and every fixed serial."""
    return random.SystemRandom().randrange(LONE.start, LONE.stop)


def make_uscc(serial: int, region: str = "440305") -> str:
    """A valid USCC (GB 32100-2015 check digit) for an enterprise in `region`."""
    body = f"91{region}MA{serial:07d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + uscc_codes.calc_check_digit(body)


def application_for(uscc: str, base: str = "approvable") -> dict[str, Any]:
    """A copy of a sample application filed by another applicant."""
    app: dict[str, Any] = copy.deepcopy(sample(base)["application"])
    app["applicant"]["uscc"] = uscc
    return app
