"""Verification's subscribers wired as the service wires them, in memory: the audit-report
registry and a submitted application published to their topics (FastStream's TestKafkaBroker)
go through the record processor to the handler, which keeps the consent record and the case
(a document store in memory) and publishes its verdict."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from verification.adapters.mongo_store import VerificationStore
from verification.app import create_app
from verification.config import Settings
from vouchers_shared import signing_key, topics
from vouchers_shared.application import Application
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.testing.in_memory import (
    InMemoryService,
    application_submitted,
    refdata_loaded,
    running_in_memory,
)

SAMPLES = Path(__file__).resolve().parents[3] / "deploy" / "sample"
FILED_AT = datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)
APPLICATION_ID = "SZV2026-00000000000000F1"


def sample(name: str) -> Application:
    data: dict[str, Any] = json.loads((SAMPLES / "applications" / f"{name}.json").read_text("utf-8"))
    return Application.model_validate(data["application"])


KEY = signing_key.generate()


@pytest.fixture
async def verification() -> AsyncIterator[InMemoryService]:
    settings = Settings(vouchers_token_key=KEY, voucher_clock=FILED_AT.isoformat())
    async with running_in_memory(create_app(settings)) as service:
        reports = json.loads((SAMPLES / "refdata.json").read_text("utf-8"))["audit_reports"]
        await service.send(refdata_loaded("audit_reports", reports, FILED_AT))
        yield service


async def test_a_submitted_application_is_verified_and_its_consent_kept(
    verification: InMemoryService,
) -> None:
    application = sample("approvable")
    await verification.send(application_submitted(application, APPLICATION_ID, FILED_AT))
    [verdict] = verification.published_to(topics.VERIFICATION)
    assert (verdict.type, verdict.key) == ("verification.completed", application.applicant.uscc)
    assert verdict.json()["outcome"] == "verified"
    store = VerificationStore(verification.mongo.as_client())
    [consent] = await store.list(application_id=APPLICATION_ID)
    assert consent.applicant_uscc == application.applicant.uscc
    case = await store.case(APPLICATION_ID)
    assert case is not None
    assert case["outcome"] == "verified"


async def test_a_missing_audit_consent_fails_verification(verification: InMemoryService) -> None:
    await verification.send(application_submitted(sample("missing-audit-consent"), APPLICATION_ID, FILED_AT))
    [verdict] = verification.published_to(topics.VERIFICATION)
    assert verdict.json()["outcome"] == "failed"


async def test_an_event_of_another_type_is_parked(verification: InMemoryService) -> None:
    submitted = application_submitted(sample("approvable"), APPLICATION_ID, FILED_AT)
    headers = {**submitted.headers(), "ce_type": "coi.assessed"}
    await verification.send_raw(submitted.topic, submitted.key, submitted.body(), headers)
    [parked] = verification.published
    assert parked.topic == f"{topics.APPLICATIONS}.dlq"
    assert "unexpected event type 'coi.assessed'" in parked.headers["dlq_error"]
