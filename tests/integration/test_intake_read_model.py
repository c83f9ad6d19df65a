"""The status read model behind GET /v1/applications: fed by the verdict and decision topics,
idempotent on the event id, and listed page by page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from vouchers_shared import topics
from vouchers_shared.events import (
    CaseDecided,
    ContractVoucher,
    EligibilityAssessed,
    Voucher,
)
from vouchers_shared.findings import Finding, worded
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import opened
from vouchers_shared.wording import say

from tests.support.infra import Infra
from tests.support.intake import RunningIntake, applicant, intake_db, suite_intake, wait_until
from tests.support.samples import application_for
from tests.support.suite import Suite

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
# Later than anything the suite's own services could stamp during a test session, so a real
# verdict on the same application never reads as the newer one.
ASSESSED_AT = "2026-06-01T09:30:00+08:00"
DECIDED_AT = "2026-06-02T09:30:00+08:00"


@pytest.fixture(scope="module")
def intake(suite: Suite) -> RunningIntake:
    """The suite's intake: its read model is fed by the suite's topics like in production."""
    return suite_intake(suite)


@pytest.fixture(scope="module")
async def publisher(infra: Infra) -> AsyncIterator[StandalonePublisher]:
    async with StandalonePublisher(CommonSettings(kafka_bootstrap_servers=infra.kafka_bootstrap)) as p:
        yield p


async def file(intake: RunningIntake, uscc: str) -> str:
    async with intake.client("submitter", uscc) as client:
        response = await client.post("/v1/applications", json=application_for(uscc))
    assert response.status_code == 202, response.text
    return str(response.json()["application_id"])


async def view(intake: RunningIntake, application_id: str) -> dict[str, Any]:
    async with intake.client("auditor") as client:
        response = await client.get(f"/v1/applications/{application_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def listing(intake: RunningIntake, **params: Any) -> dict[str, Any]:
    async with intake.client("auditor") as client:
        response = await client.get("/v1/applications", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def event(
    topic: str,
    type_: str,
    payload: BaseModel,
    application_id: str,
    uscc: str,
    at: str,
    event_id: str | None = None,
) -> Outgoing:
    envelope = Envelope.new(
        type_,
        "/tests/read-model",
        application_id,
        id_=event_id or str(uuid.uuid4()),
        time=datetime.fromisoformat(at),
    )
    return Outgoing(topic=topic, key=uscc, envelope=envelope, payload=payload)


def verdict(application_id: str, uscc: str, event_id: str | None = None) -> Outgoing:
    """An EligibilityAssessed as the rule book would publish it: a young enterprise's 60%."""
    payload = EligibilityAssessed(
        application_id=application_id,
        applicant_uscc=uscc,
        outcome="pass",
        findings=[
            Finding(
                rule="AMT-RATE",
                clause="三(一)2",
                result="pass",
                observed="0.60",
                **worded(
                    say("AMT-RATE.young", registered_on="2026-01-05", published="2026-04-30", rate="60%")
                ),
            )
        ],
        voucher=Voucher(
            rate=Decimal("0.60"),
            eligible_spend_cny=Decimal("800000.00"),
            total_cny=Decimal("480000.00"),
            by_contract=[
                ContractVoucher(
                    contract_no="HT-A-01", amount_cny=Decimal("800000.00"), voucher_cny=Decimal("480000.00")
                )
            ],
        ),
        assessed_at=datetime.fromisoformat(ASSESSED_AT),
    )
    return event(
        topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED, payload, application_id, uscc, ASSESSED_AT, event_id
    )


def assessed_entries(shown: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        step for step in shown["timeline"] if step == {"at": ASSESSED_AT, "event": "eligibility_assessed"}
    ]


async def test_a_published_verdict_shows_and_its_duplicate_is_ignored(
    infra: Infra, intake: RunningIntake, publisher: StandalonePublisher
) -> None:
    uscc = applicant(60)
    application_id, marker_id = await file(intake, uscc), await file(intake, uscc)
    first = verdict(application_id, uscc)

    await publisher.publish(first)

    async def shown() -> dict[str, Any] | None:
        current = await view(intake, application_id)
        return current if assessed_entries(current) else None

    seen = await wait_until("the verdict in the read model", shown, within=120)
    eligibility = seen["checks"]["eligibility"]
    assert eligibility["outcome"] == "pass"
    assert [(f["rule"], f["clause"], f["passed"]) for f in eligibility["findings"]] == [
        ("AMT-RATE", "三(一)2", True)
    ]
    [rate] = eligibility["findings"]  # the texts rendered where they are read, the key left out
    assert rate["message"] == "企业于2026-01-05注册，至指南发布之日（2026-04-30）未满一周年，抵扣比例为60%。"
    assert rate["message_en"].startswith("Registered on 2026-01-05, less than a year")
    assert "text" not in rate
    assert "args" not in rate
    assert seen["voucher"]["total_cny"] == "480000.00"

    # The same event again (a redelivery), then another on the same partition: once that one
    # shows, the duplicate before it has been handled.
    await publisher.publish(first)
    await publisher.publish(verdict(marker_id, uscc))

    async def marker_shown() -> bool:
        return bool(assessed_entries(await view(intake, marker_id)))

    await wait_until("the verdict published after the duplicate", marker_shown, within=120)
    assert len(assessed_entries(await view(intake, application_id))) == 1
    async with intake_db(infra) as db:
        stored = await db["application_status"].find_one({"_id": application_id})
    assert stored is not None
    assert opened(stored)["applied_events"].count(first.envelope.id) == 1


async def test_the_list_pages_through_an_applicants_applications_by_status(
    intake: RunningIntake, publisher: StandalonePublisher
) -> None:
    uscc, other = applicant(61), applicant(62)
    ids = sorted([await file(intake, uscc) for _ in range(5)])
    await file(intake, other)

    async def all_listed() -> bool:
        mine, theirs = await listing(intake, applicant_uscc=uscc), await listing(intake, applicant_uscc=other)
        return (mine["total"], theirs["total"]) == (5, 1)

    await wait_until("the six applications in the list", all_listed, within=120)
    pages = [await listing(intake, applicant_uscc=uscc, page=n, page_size=2) for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert [(p["page"], p["page_size"]) for p in pages] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert [item["application_id"] for p in pages for item in p["items"]] == ids
    assert {item["applicant_uscc"] for p in pages for item in p["items"]} == {uscc}

    # Decisions stamped later than any the suite's own services could make: they set the status.
    decided = {
        ids[0]: "rejected",
        ids[1]: "needs_review",
        ids[2]: "needs_review",
        ids[3]: "awaiting_notice",
        ids[4]: "awaiting_notice",
    }
    for application_id, status in decided.items():
        payload = CaseDecided(
            application_id=application_id,
            applicant_uscc=uscc,
            status=status,
            final=status == "rejected",
            decided_at=datetime.fromisoformat(DECIDED_AT),
        )
        await publisher.publish(
            event(topics.DECISIONS, topics.CASE_DECIDED, payload, application_id, uscc, DECIDED_AT)
        )

    async def decided_listed() -> dict[str, Any] | None:
        page = await listing(intake, applicant_uscc=uscc, status="awaiting_notice")
        review = await listing(intake, applicant_uscc=uscc, status="needs_review")
        return review if (page["total"], review["total"]) == (2, 2) else None

    in_review = await wait_until("the decisions in the list", decided_listed, within=120)
    assert [item["application_id"] for item in in_review["items"]] == ids[1:3]
    assert {item["status"] for item in in_review["items"]} == {"needs_review"}
    second = await listing(intake, applicant_uscc=uscc, status="needs_review", page=2, page_size=1)
    assert (second["total"], [i["application_id"] for i in second["items"]]) == (2, ids[2:3])
    rejected = await listing(intake, applicant_uscc=uscc, status="rejected")
    assert [i["application_id"] for i in rejected["items"]] == ids[:1]


@pytest.mark.parametrize(
    "params",
    [{"status": "pending"}, {"page": 0}, {"page_size": 0}, {"page_size": 201}],
)
async def test_a_bad_list_query_is_a_422(intake: RunningIntake, params: dict[str, Any]) -> None:
    async with intake.client("auditor") as client:
        response = await client.get("/v1/applications", params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == next(iter(params))
