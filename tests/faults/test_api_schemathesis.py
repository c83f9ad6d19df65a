"""Schemathesis against intake's OpenAPI document, on the running service: whatever it generates,
valid or not, intake never answers with a server error."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode

from tests.support.fault_rig import FaultRig
from tests.support.samples import make_uscc

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 100}  # per operation


def fuzz(operation: Any, mode: GenerationMode, url: str, headers: dict[str, str]) -> int:
    """Send `operation` what schemathesis generates in `mode`; how many requests went out."""
    sent = 0

    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        nonlocal sent
        response = case.call(base_url=url, headers={**headers, **(case.headers or {})}, timeout=30)
        case.validate_response(response, checks=[not_a_server_error])
        sent += 1

    takes_input = any(len(part) for part in (operation.path_parameters, operation.query,
                                              operation.headers, operation.cookies, operation.body))
    if mode == GenerationMode.NEGATIVE and not takes_input:
        return 0  # nothing of it can be made invalid (the health and metrics endpoints)
    try:
        call()
    except Unsatisfiable:
        if mode != GenerationMode.NEGATIVE:
            raise
        # Every input of the operation takes any value (a path segment that is any string):
        # there is no invalid request to make of it.
        return 0
    return sent


def test_no_generated_request_gets_a_server_error(rig: FaultRig) -> None:
    url = rig.suite.urls["intake"]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", timeout=30)
    # A submitter's token: the operator's could replace the suite's reference data.
    token = rig.suite.tokens.issue("submitter", make_uscc(9_100_000))
    headers = {"Authorization": f"Bearer {token}"}
    tried: dict[str, int] = {}
    negative: dict[str, int] = {}  # requests with invalid input, per operation
    began = time.monotonic()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for mode in EXAMPLES:
            sent = fuzz(operation, mode, url, headers)
            tried[operation.label] = tried.get(operation.label, 0) + sent
            if mode == GenerationMode.NEGATIVE:
                negative[operation.label] = sent
    print(f"\n[schemathesis] {sum(tried.values())} requests over {len(tried)} operations "
          f"in {time.monotonic() - began:.0f}s: {tried}; of them invalid on purpose: {negative}")
    assert negative.get("POST /v1/applications", 0) > 0
    assert tried.get("POST /v1/applications", 0) > negative["POST /v1/applications"]
