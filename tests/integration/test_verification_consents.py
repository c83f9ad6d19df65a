"""Verification on the session suite (issue 6): unknown QR codes, consent records and who reads them.

The suite answers QR codes from the `audit_reports` reference data (local mode); the CPA
platform over HTTP, timing out, is in test_cpa_platform.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from vouchers_shared import topics

from tests.support.events import records_about, send_again
from tests.support.filing import application, file, findings_of, wait_check
from tests.support.samples import make_uscc
from tests.support.suite import Suite, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

UNKNOWN_QR, CONSENTING, REDELIVERED = (make_uscc(6_000_000 + n) for n in range(1, 4))


def consent_records(suite: Suite, role: str, application_id: str, uscc: str | None = None) -> tuple[int, Any]:
    with suite.client("verification", role, uscc) as client:
        response = client.get("/v1/consent-records", params={"application_id": application_id})
    return response.status_code, response.json()


def consent_document(app: dict[str, Any]) -> dict[str, Any]:
    (document,) = [m for m in app["materials"] if m["kind"] == "audit_consent"]
    found: dict[str, Any] = document
    return found


def test_a_qr_code_missing_from_the_platform_fails_the_audit_qr_rule(suite: Suite) -> None:
    app_id = file(suite, application(UNKNOWN_QR, qr_code="CPA-2025-NOT-REGISTERED-ANYWHERE"))

    view = wait_check(suite, app_id, "verification")

    assert view["checks"]["verification"]["outcome"] == "failed"
    (qr,) = findings_of(view, "verification", "MAT-AUDIT-QR")
    assert (qr["result"], qr["clause"]) == ("fail", "声明二")
    failed = {f["rule"] for f in view["checks"]["verification"]["findings"] if f["result"] == "fail"}
    assert failed == {"MAT-AUDIT-QR"}


def test_an_auditor_lists_the_consent_records_and_a_submitter_cannot(suite: Suite) -> None:
    app = application(CONSENTING)
    app_id = file(suite, app)
    wait_check(suite, app_id, "verification")

    status, listed = consent_records(suite, "auditor", app_id)

    assert status == 200
    (record,) = listed["items"]
    assert record["application_id"] == app_id
    assert record["applicant_uscc"] == CONSENTING
    assert record["document_sha256"] == consent_document(app)["sha256"]
    assert record["signed_by"] == app["applicant"]["legal_representative"]["person_id"]
    assert (record["signed_by_legal_rep"], record["stamped"]) == (True, True)
    assert consent_records(suite, "operator", app_id)[0] == 200
    assert consent_records(suite, "submitter", app_id, CONSENTING)[0] == 403
    with suite.client("verification") as client:
        del client.headers["Authorization"]
        assert client.get("/v1/consent-records").status_code == 401


def test_a_redelivered_submission_keeps_one_consent_record(suite: Suite) -> None:
    app_id = file(suite, application(REDELIVERED))
    wait_check(suite, app_id, "verification")
    bootstrap = suite.infra.kafka_bootstrap
    (submitted,) = records_about(bootstrap, topics.APPLICATIONS, app_id)
    (verdict,) = records_about(bootstrap, topics.VERIFICATION, app_id)
    _, first = consent_records(suite, "auditor", app_id)

    send_again(bootstrap, submitted)

    # Verification answers the redelivery with the verdict it gave the first time.
    again = wait_for(
        "verification's answer to the redelivery",
        lambda: records_about(bootstrap, topics.VERIFICATION, app_id)[1:],
        timeout=60,
    )
    assert [r.id for r in again] == [verdict.id]
    status, listed = consent_records(suite, "auditor", app_id)
    assert status == 200
    assert listed["items"] == first["items"]
    assert len(listed["items"]) == 1
