"""Notification's case subscriber wired as the service wires it, in memory: a submitted
application and its three verdicts published to their topics (FastStream's TestKafkaBroker) go
through the record processor to the case handler, which decides, keeps the case (a document
store in memory), publishes the decision and queues the letter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from notification.adapters.mongo_store import NotificationStore
from notification.app import create_app
from notification.config import Settings
from notification_testkit import OPENED, finding, sample_application, voucher
from vouchers_shared import signing_key, topics
from vouchers_shared.events import CoiAssessed, ContractCoi, EligibilityAssessed, VerificationCompleted
from vouchers_shared.testing.in_memory import InMemoryService, application_submitted, event, running_in_memory

APPLICATION_ID = "SZV2026-0000000000000A01"
APPLICATION = sample_application()
USCC = APPLICATION.applicant.uscc
CHECKED_AT = OPENED + timedelta(minutes=3)
KEY = signing_key.generate()


@pytest.fixture
async def notification() -> AsyncIterator[InMemoryService]:
    settings = Settings(
        vouchers_token_key=KEY, voucher_clock=CHECKED_AT.isoformat(), sweep_interval_s=3600
    )  # no sweep meanwhile
    async with running_in_memory(create_app(settings)) as service:
        await service.send(application_submitted(APPLICATION, APPLICATION_ID, OPENED))
        yield service


async def send_verdicts(service: InMemoryService, eligibility_passes: bool) -> None:
    coi = CoiAssessed(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        outcome="clear",
        findings=[],
        contracts=[
            ContractCoi(contract_no=c.contract_no, provider_uscc=c.provider_uscc, outcome="clear")
            for c in APPLICATION.contracts
        ],
        assessed_at=CHECKED_AT,
    )
    elig = EligibilityAssessed(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        assessed_at=CHECKED_AT,
        outcome="pass" if eligibility_passes else "fail",
        findings=[finding("AMT-MIN-SPEND", "pass" if eligibility_passes else "fail")],
        voucher=voucher() if eligibility_passes else None,
    )
    ver = VerificationCompleted(
        application_id=APPLICATION_ID,
        applicant_uscc=USCC,
        outcome="verified",
        findings=[],
        completed_at=CHECKED_AT,
    )
    for topic, kind, source, payload in (
        (topics.COI, topics.COI_ASSESSED, "/vouchers/eligibility", coi),
        (topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED, "/vouchers/eligibility", elig),
        (topics.VERIFICATION, topics.VERIFICATION_COMPLETED, "/vouchers/verification", ver),
    ):
        await service.send(
            event(topic, kind, source, payload, key=USCC, subject=APPLICATION_ID, at=CHECKED_AT)
        )


async def test_a_submitted_application_opens_a_case_that_waits_for_its_checks(
    notification: InMemoryService,
) -> None:
    stored = await NotificationStore(notification.mongo.as_client()).load(APPLICATION_ID)
    assert stored is not None
    assert stored.case.status == "checking"
    assert notification.published_to(topics.DECISIONS) == []


async def test_three_passing_verdicts_decide_for_the_public_notice(notification: InMemoryService) -> None:
    await send_verdicts(notification, eligibility_passes=True)
    [decided] = notification.published_to(topics.DECISIONS)
    assert (decided.type, decided.key, decided.json()["status"]) == ("case.decided", USCC, "awaiting_notice")
    stored = await NotificationStore(notification.mongo.as_client()).load(APPLICATION_ID)
    assert stored is not None
    assert stored.case.status == "awaiting_notice"


async def test_a_failing_verdict_rejects_and_queues_the_rejection_letter(
    notification: InMemoryService,
) -> None:
    await send_verdicts(notification, eligibility_passes=False)
    [decided] = notification.published_to(topics.DECISIONS)
    assert (decided.json()["status"], decided.json()["final"]) == ("rejected", True)
    [letter] = await NotificationStore(notification.mongo.as_client()).letters_of(APPLICATION_ID)
    assert letter["kind"] == "rejection"
