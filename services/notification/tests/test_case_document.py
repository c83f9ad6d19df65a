"""A case is stored as the same document in every process: a case that has not changed must not
look changed to a batch that compares, or to a second replica that writes it again."""

from __future__ import annotations

import os
import subprocess
import sys

DUMP_A_CASE = """
from datetime import datetime, timedelta, timezone
from notification.domain.case import Case, record
from notification.domain.verdicts import Verdict

opened = datetime(2026, 5, 20, 10, tzinfo=timezone(timedelta(hours=8)))
case = Case(application_id="APP-1", applicant_uscc="91440300MA5G0ABCD5", opened_at=opened)
for n in range(12):
    check = ("eligibility", "conflict_of_interest", "verification")[n % 3]
    outcome = {"eligibility": "pass", "conflict_of_interest": "clear"}.get(check, "verified")
    case = record(case, Verdict(check=check, outcome=outcome, event_id=f"evt-{n}", at=opened))
print(case.model_dump_json())
"""


def dumped_with_hash_seed(seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    run = subprocess.run(
        [sys.executable, "-c", DUMP_A_CASE], env=env, capture_output=True, text=True, check=True
    )
    return run.stdout


def test_a_case_dumps_to_the_same_document_whatever_the_hash_seed() -> None:
    dumps = {dumped_with_hash_seed(seed) for seed in range(6)}
    assert len(dumps) == 1, dumps
    assert '"evt-0"' in next(iter(dumps))
