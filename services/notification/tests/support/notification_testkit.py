"""Builders and local servers for the notification service's unit tests."""

from __future__ import annotations

import base64
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from notification.domain.case import Case, open_case
from notification.domain.verdicts import CheckName, Verdict
from standardwebhooks import Webhook, WebhookVerificationError
from vouchers_shared.application import Application
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.events import ContractVoucher, Voucher
from vouchers_shared.findings import Finding, Result

OPENED = datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)
TIMEOUT = timedelta(hours=6)
USCC = "91440300MA5G0ABCD5"
PROVIDER_A = "91440300MA5H123457"
PROVIDER_B = "91440300MA5J67890N"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"letters-webhook-key-for-the-tests").decode()


def at(minutes: int) -> datetime:
    """An instant `minutes` after the case opened."""
    return OPENED + timedelta(minutes=minutes)


def finding(rule: str, result: Result = "pass", contract_no: str | None = None) -> Finding:
    clause = "三(一)2" if rule.startswith(("AMT", "COI")) else "五(一)"
    return Finding(
        rule=rule,
        clause=clause,
        result=result,
        contract_no=contract_no,
        message=f"{rule} 的结论：{result}",
        message_en=f"{rule}: {result}",
    )


def voucher(total: str = "720000.00") -> Voucher:
    return Voucher(
        rate=Decimal("0.60"),
        eligible_spend_cny=Decimal("1200000.00"),
        total_cny=Decimal(total),
        by_contract=[
            ContractVoucher(contract_no="HT-1", amount_cny=Decimal("1200000.00"), voucher_cny=Decimal(total))
        ],
    )


def verdict(
    check: CheckName,
    outcome: str,
    event_id: str,
    minutes: int = 5,
    findings: tuple[Finding, ...] = (),
    settles_review: str | None = None,
    total: str = "720000.00",
) -> Verdict:
    """A check's verdict; eligibility's carries a voucher unless it failed (a review proposes one)."""
    return Verdict(
        check=check,
        outcome=outcome,
        findings=findings,
        event_id=event_id,
        at=at(minutes),
        voucher=voucher(total) if check == "eligibility" and outcome in ("pass", "review") else None,
        settles_review=settles_review,
    )


def new_case(application_id: str = "APP-1") -> Case:
    return open_case(application_id, USCC, OPENED)


def sample_application() -> Application:
    """An application full of personal data, as the interface page shows it."""
    return Application.model_validate(
        {
            "program_year": 2026,
            "applicant": {
                "name": "深圳市示例智算科技有限公司",
                "uscc": USCC,
                "org_type": "enterprise",
                "independent_legal_person": True,
                "public_institution": False,
                "registered_on": "2025-09-01",
                "registered_district": "南山区",
                "legal_representative": {"person_id": "p-001", "name": "张三丰"},
                "officers": [{"person_id": "p-002", "name": "李四海", "role": "director"}],
                "shareholders": [{"holder_id": "p-009", "kind": "person", "name": "周九龄", "pct": "60.00"}],
                "contact": {
                    "name": "孙八方",
                    "email": "contact.person@example.cn",
                    "mobile": "13800138000",
                },
            },
            "project": {
                "title": "面向制造业质检的视觉大模型训练",
                "lead": {
                    "person_id": "p-003",
                    "name": "王五岳",
                    "qualification": "doctorate",
                    "full_time_in_shenzhen": True,
                },
                "members": [
                    {
                        "person_id": "p-004",
                        "name": "赵六合",
                        "qualification": "senior_engineer",
                        "full_time_in_shenzhen": True,
                    }
                ],
                "ethics_or_safety_involved": False,
            },
            "contracts": [
                {
                    "contract_no": "SZ-HT-2026-0001",
                    "provider_uscc": PROVIDER_A,
                    "provider_name": "某算力服务有限公司",
                    "signed_on": "2026-01-15",
                    "service_start": "2026-02-01",
                    "service_end": "2026-10-31",
                    "amount_cny": "1200000.00",
                    "service_type": "training",
                    "training_kind": "sft",
                    "description": "租用集群进行有监督微调",
                }
            ],
            "declarations": {"self_filed": True, "filed_by_project_lead": True, "truthful": True},
            "materials": [],
        }
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailCollector:
    """An aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def start_smtp() -> tuple[Controller, MailCollector]:
    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, collector


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A real HTTP server on loopback that records each POST and answers `status`."""

    secret: str
    status: int = 204
    deliveries: list[Delivery] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    server_url: str = ""

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.deliveries.append(Delivery(dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.server_url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/letters"
        return self.server_url

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def refusal(self, delivery: Delivery) -> str | None:
        """Why a receiver following Standard Webhooks refuses the delivery (no matching
        signature, or a timestamp more than five minutes from its clock), or None."""
        try:
            Webhook(self.secret).verify(delivery.body, delivery.headers, json_parse=False)
        except WebhookVerificationError as exc:
            return str(exc)
        return None

    def signature_valid(self, delivery: Delivery) -> bool:
        return self.refusal(delivery) is None
