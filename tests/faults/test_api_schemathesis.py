"""Schemathesis against the OpenAPI documents of intake and notification, on the running services:
whatever it generates, valid or not, the answer is never a server error and is what the
document says, in status code, content type, headers and schema (errors as problems)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode

from tests.support.fault_rig import FaultRig
from tests.support.samples import application_for, make_uscc
from tests.support.suite import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 100}  # per operation
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
APPLICANT = make_uscc(9_100_000)


def fuzz(operation: Any, mode: GenerationMode, url: str, token: str) -> int:
    """Send `operation` what schemathesis generates in `mode`; how many requests went out."""
    sent = 0

    @settings(
        max_examples=EXAMPLES[mode], deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        nonlocal sent
        # The token last: the documents declare bearer auth, for which schemathesis makes up its own.
        headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call(base_url=url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
        sent += 1

    takes_input = any(
        len(part)
        for part in (
            operation.path_parameters,
            operation.query,
            operation.headers,
            operation.cookies,
            operation.body,
        )
    )
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


def fuzz_service(schema: Any, url: str, token: str) -> tuple[dict[str, int], dict[str, int]]:
    """Every operation of the service at `url`, both modes: requests sent, and of them invalid
    on purpose, per operation."""
    tried: dict[str, int] = {}
    negative: dict[str, int] = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for mode in EXAMPLES:
            sent = fuzz(operation, mode, url, token)
            tried[operation.label] = tried.get(operation.label, 0) + sent
            if mode == GenerationMode.NEGATIVE:
                negative[operation.label] = sent
    return tried, negative


@pytest.fixture(scope="module")
def filed(rig: FaultRig) -> str:
    """One application of the fuzzing submitter, decided into a case, so that reads answer with
    real checks, findings and timelines rather than only empty lists."""
    with rig.suite.client("intake", "submitter", APPLICANT) as client:
        response = client.post("/v1/applications", json=application_for(APPLICANT))
    assert response.status_code == 202, response.text
    application_id: str = response.json()["application_id"]

    def decided() -> bool:
        with rig.suite.client("notification", "auditor") as client:
            case = client.get(f"/v1/cases/{application_id}")
        return case.status_code == 200 and case.json()["status"] != "checking"

    wait_for("the case to be decided", decided, timeout=120)
    return application_id


@pytest.mark.parametrize(
    ("service", "role", "busiest", "read"),
    [
        # A submitter's token on intake: the operator's could replace the suite's reference data.
        ("intake", "submitter", "POST /v1/applications", "/v1/applications/{application_id}"),
        # An auditor's on notification: reads every case, changes nothing; the public operations
        # (objections, notice pages) take none.
        ("notification", "auditor", "POST /v1/notices/{notice_id}/objections", "/v1/cases/{application_id}"),
    ],
)
def test_no_generated_request_gets_a_server_error_or_an_answer_the_document_does_not_give(
    rig: FaultRig, filed: str, service: str, role: str, busiest: str, read: str
) -> None:
    url = rig.suite.urls[service]
    token = rig.suite.tokens.issue(role, APPLICANT if role == "submitter" else None)  # type: ignore[arg-type]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", timeout=30)
    began = time.monotonic()
    tried, negative = fuzz_service(schema, url, token)
    print(
        f"\n[schemathesis {service}] {sum(tried.values())} requests over {len(tried)} operations "
        f"in {time.monotonic() - began:.0f}s: {tried}; of them invalid on purpose: {negative}"
    )
    assert negative.get(busiest, 0) > 0
    assert tried.get(busiest, 0) > negative[busiest]
    # The one application filed, read back with its checks and timeline, as the document says.
    with httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
        answer = client.get(read.format(application_id=filed))
    assert answer.status_code == 200, answer.text
    schema[read]["GET"].validate_response(answer)
