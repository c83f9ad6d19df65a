"""Submissions are limited per token subject: past the limit intake answers 429 with Retry-After
in the documented error shape and stores nothing; another applicant's token is not held up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.infra import Infra
from tests.support.intake import InProcessIntake, SettableClock, applicant, intake_db, running_intake
from tests.support.samples import application_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PER_MINUTE = 2


@pytest.fixture(scope="module")
async def intake(infra: Infra) -> AsyncIterator[InProcessIntake]:
    clock = SettableClock("2026-05-20T10:00:00+08:00")
    async with running_intake(infra, clock, submissions_per_minute_per_token=PER_MINUTE) as running:
        yield running


async def test_a_token_past_its_submissions_a_minute_is_answered_429_and_nothing_is_stored(
    intake: InProcessIntake, infra: Infra
) -> None:
    busy, other = applicant(90), applicant(91)
    async with intake.client("submitter", busy) as client:
        answers = [
            await client.post(
                "/v1/applications", json=application_for(busy), headers={"Idempotency-Key": f"rate-{i}"}
            )
            for i in range(PER_MINUTE + 1)
        ]
    assert [a.status_code for a in answers] == [202] * PER_MINUTE + [429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "RATE_LIMITED"

    async with intake.client("submitter", other) as client:
        elsewhere = await client.post("/v1/applications", json=application_for(other))
    assert elsewhere.status_code == 202

    async with intake_db(infra) as db:
        assert await db["applications"].count_documents({"applicant_uscc": busy}) == PER_MINUTE
        assert await db["idempotency_keys"].count_documents({"_id": f"{busy}:rate-{PER_MINUTE}"}) == 0
