"""Intake's status read model fed through its real subscriber, in memory: events published to the
read model's topics (FastStream's TestKafkaBroker) reach the projection through the record
processor, and the view lands in the store (a document store in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from intake.adapters.mongo_store import IntakeStore
from intake.app import create_app
from intake.config import Settings
from intake.submission import submitted_event
from intake_testkit import FILED_AT, sample_application
from vouchers_shared import signing_key, topics
from vouchers_shared.application import Application
from vouchers_shared.events import CaseDecided
from vouchers_shared.testing.in_memory import InMemoryService, event, running_in_memory

APPLICATION_ID = "SZV2026-0123456789ABCDEF"


@pytest.fixture
async def intake() -> AsyncIterator[InMemoryService]:
    async with running_in_memory(create_app(Settings(vouchers_token_key=signing_key.generate()))) as service:
        yield service


async def test_a_submitted_event_then_a_decision_reach_the_status_view(intake: InMemoryService) -> None:
    application = Application.model_validate(sample_application())
    uscc = application.applicant.uscc
    await intake.send(submitted_event(application, APPLICATION_ID, FILED_AT))
    store = IntakeStore(intake.mongo.as_client())
    view = await store.load_view(APPLICATION_ID)
    assert view is not None
    assert (view.status, view.applicant_uscc, view.submitted_at) == ("received", uscc, FILED_AT)

    decided_at = FILED_AT + timedelta(minutes=5)
    decided = CaseDecided(
        application_id=APPLICATION_ID,
        applicant_uscc=uscc,
        status="awaiting_notice",
        final=False,
        decided_at=decided_at,
    )
    await intake.send(
        event(
            topics.DECISIONS,
            topics.CASE_DECIDED,
            "/vouchers/notification",
            decided,
            key=uscc,
            subject=APPLICATION_ID,
            at=decided_at,
        )
    )
    view = await store.load_view(APPLICATION_ID)
    assert view is not None
    assert view.status == "awaiting_notice"
    assert intake.published == []  # the read model publishes nothing


async def test_a_record_without_cloudevents_headers_goes_to_the_dead_letter_topic(
    intake: InMemoryService,
) -> None:
    await intake.send_raw(topics.NOTICES, "91440305MA5K00010T", b'{"application_id": "x"}', {})
    [parked] = intake.published
    assert parked.topic == f"{topics.NOTICES}.dlq"
    assert "missing CloudEvents headers" in parked.headers["dlq_error"]
    assert await IntakeStore(intake.mongo.as_client()).load_view("x") is None
