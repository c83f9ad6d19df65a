"""Reading answers what the read model holds, all of it, in the shape the OpenAPI document gives:
checks with their findings and evidence, the voucher, the notice, the approval date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from intake.domain.status import StatusView, apply_event
from intake.responses import ApplicationDetail
from intake.views import render
from intake_testkit import FILED_AT, Intake, sample_application
from pydantic import BaseModel
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.auth import Principal
from vouchers_shared.events import (
    ApplicationSubmitted,
    CoiAssessed,
    ContractCoi,
    ContractVoucher,
    EligibilityAssessed,
    NoticePublished,
    VerificationCompleted,
    Voucher,
    VoucherApproved,
)
from vouchers_shared.findings import EvidenceEdge, EvidencePath, Finding, Result

APP_ID = "SZV2026-0000000000000001"
USCC = sample_application()["applicant"]["uscc"]
PROVIDER = "91440300MA5G0AAAA6"


def _finding(rule: str, result: Result, **more: Any) -> Finding:
    return Finding(rule=rule, clause="三(一)2", result=result, message="说明", message_en="why", **more)


def _voucher() -> Voucher:
    amount, granted = Decimal("1200000.00"), Decimal("720000.00")
    return Voucher(
        rate=Decimal("0.60"),
        eligible_spend_cny=amount,
        total_cny=granted,
        by_contract=[ContractVoucher(contract_no="SZ-HT-2026-0001", amount_cny=amount, voucher_cny=granted)],
    )


def _events() -> list[tuple[str, BaseModel]]:
    at, ids, notice = FILED_AT, {"application_id": APP_ID, "applicant_uscc": USCC}, "GS20260601-ABC123"
    holding = EvidenceEdge(
        source=USCC, target=PROVIDER, kind="holding", pct="60.00", origin="refdata:holdings@v1"
    )
    related = EvidencePath(relation="holds", summary="甲持有乙 60%", effective_pct="60.00", edges=[holding])
    coi = _finding("COI-RELATED-PARTY", "pass", contract_no="SZ-HT-2026-0001", evidence=[related])
    return [
        (
            topics.APPLICATION_SUBMITTED,
            ApplicationSubmitted(
                **ids, submitted_at=at, application=Application.model_validate(sample_application())
            ),
        ),
        (
            topics.COI_ASSESSED,
            CoiAssessed(
                **ids,
                outcome="clear",
                assessed_at=at,
                findings=[coi],
                refdata_versions={"holdings": "v1"},
                contracts=[
                    ContractCoi(contract_no="SZ-HT-2026-0001", provider_uscc=PROVIDER, outcome="clear")
                ],
            ),
        ),
        (
            topics.ELIGIBILITY_ASSESSED,
            EligibilityAssessed(
                **ids,
                outcome="pass",
                assessed_at=at,
                voucher=_voucher(),
                findings=[_finding("AMT-RATE", "pass", observed="0.60")],
            ),
        ),
        (
            topics.VERIFICATION_COMPLETED,
            VerificationCompleted(**ids, outcome="verified", completed_at=at, findings=[]),
        ),
        (
            topics.NOTICE_PUBLISHED,
            NoticePublished(
                **ids, notice_id=notice, published_at=at, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 5)
            ),
        ),
        (
            topics.VOUCHER_APPROVED,
            VoucherApproved(
                **ids,
                notice_id=notice,
                approved_at=at,
                approved_on=date(2026, 6, 8),
                total_cny=_voucher().total_cny,
            ),
        ),
    ]


def _view() -> StatusView:
    view = StatusView(application_id=APP_ID)
    for n, (kind, event) in enumerate(_events()):
        at = FILED_AT + timedelta(minutes=n)
        view = apply_event(view, f"e{n}", kind, at, event.model_dump(mode="json"))
    return view


async def test_an_application_reads_with_everything_the_read_model_holds() -> None:
    intake = Intake()
    view = _view()
    intake.store.views[APP_ID] = view
    response = await intake.request("GET", f"/v1/applications/{APP_ID}", "submitter", USCC)
    assert response.status_code == 200, response.text
    body = response.json()
    submitter = Principal(role="submitter", subject="s", uscc=USCC)
    assert body == {**render(view, FILED_AT.date(), submitter), "application": None}  # none stored here
    ApplicationDetail.model_validate(body)
    assert body["status"] == "approved"
    [finding] = body["checks"]["conflict_of_interest"]["findings"]
    assert finding["evidence"][0]["edges"][0]["pct"] == "60.00"
    assert body["voucher"]["total_cny"] == "720000.00"


async def test_a_page_of_applications_reads_the_same_way() -> None:
    intake = Intake()
    intake.store.views[APP_ID] = _view()
    response = await intake.request("GET", "/v1/applications", "operator")
    operator = Principal(role="operator", subject="o")
    assert response.json() == {
        "items": [render(_view(), FILED_AT.date(), operator)],
        "total": 1,
        "page": 1,
        "page_size": 50,
    }
