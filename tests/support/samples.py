"""The sample applications and reference data the project ships (deploy/sample)."""

from __future__ import annotations

import copy
import json
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
