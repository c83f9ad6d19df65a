"""Eligibility's subscribers wired as the service wires them, in memory: reference data and a
submitted application published to their topics (FastStream's TestKafkaBroker) go through the
record processor to the conflict check, whose verdict reaches the rule book's subscriber in turn,
and the voucher is reserved on the yearly ledger (a document store in memory)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eligibility.adapters.mongo_store import EligibilityStore
from eligibility.app import create_app
from eligibility.config import Settings
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
APPLICATION_ID = "SZV2026-00000000000000E1"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "applications" / f"{name}.json").read_text("utf-8"))
    return data


KEY = signing_key.generate()


@pytest.fixture
async def eligibility() -> AsyncIterator[InMemoryService]:
    settings = Settings(vouchers_token_key=KEY, voucher_clock=FILED_AT.isoformat())
    async with running_in_memory(create_app(settings)) as service:
        refdata = json.loads((SAMPLES / "refdata.json").read_text("utf-8"))
        for kind, items in refdata.items():
            await service.send(refdata_loaded(kind, items, FILED_AT))
        yield service


async def test_a_submitted_application_is_checked_assessed_and_reserved(eligibility: InMemoryService) -> None:
    approvable = sample("approvable")
    application = Application.model_validate(approvable["application"])
    await eligibility.send(application_submitted(application, APPLICATION_ID, FILED_AT))

    [coi] = eligibility.published_to(topics.COI)
    assert (coi.type, coi.key, coi.json()["outcome"]) == ("coi.assessed", application.applicant.uscc, "clear")
    [assessed] = eligibility.published_to(topics.ELIGIBILITY)
    verdict = assessed.json()
    assert verdict["outcome"] == "pass"
    total = Decimal(approvable["expect"]["voucher_total_cny"])
    assert Decimal(verdict["voucher"]["total_cny"]) == total
    ledger = await EligibilityStore(eligibility.mongo.as_client()).ledger(application.applicant.uscc, 2026)
    assert ledger.reserved == {APPLICATION_ID: total}


async def test_the_same_record_again_changes_nothing(eligibility: InMemoryService) -> None:
    application = Application.model_validate(sample("approvable")["application"])
    for _ in range(2):
        await eligibility.send(application_submitted(application, APPLICATION_ID, FILED_AT))
    first, again = eligibility.published_to(topics.COI)
    assert first.headers["ce_id"] == again.headers["ce_id"]
    assert first.json() == again.json()  # the verdict stored the first time, not a new one
    ledger = await EligibilityStore(eligibility.mongo.as_client()).ledger(application.applicant.uscc, 2026)
    assert len(ledger.reserved) == 1


async def test_a_body_that_is_not_an_application_is_parked(eligibility: InMemoryService) -> None:
    bad = application_submitted(
        Application.model_validate(sample("approvable")["application"]), APPLICATION_ID, FILED_AT
    )
    await eligibility.send_raw(bad.topic, bad.key, b'{"application_id": 1}', bad.headers())
    [parked] = eligibility.published
    assert parked.topic == f"{topics.APPLICATIONS}.dlq"
    assert parked.headers["dlq_error_class"] == "PoisonMessage"
