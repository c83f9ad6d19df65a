"""Reading the letters a suite sent: mail from an SMTP sink, and a signed-webhook receiver."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import suitectl
from standardwebhooks import Webhook, WebhookVerificationError


def unsent_letter(letter_id: str, due: datetime) -> dict[str, Any]:
    """The least of a letter document a case hands over: not sent, nobody sending it, due at `due`."""
    return {
        "_id": letter_id,
        "application_id": "A",
        "sent": False,
        "claim": None,
        "next_attempt_at": due,
        "letter": {},
    }


@dataclass(frozen=True)
class Mail:
    """One received letter: its headers of interest and its plain-text body."""

    message_id: str
    subject: str
    to: str
    decision: str
    text: str


def read_mail(message: Message) -> Mail:
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            text = payload.decode(part.get_content_charset() or "utf-8")
    subject = str(make_header(decode_header(message["Subject"])))
    return Mail(
        message_id=message_id(message),
        subject=subject,
        to=str(message["To"]),
        decision=str(message["X-Vouchers-Decision"]),
        text=text,
    )


def mails_about(messages: Iterable[Message], application_id: str) -> list[Mail]:
    """The letters whose subject names the application (申请编号)."""
    return [m for m in map(read_mail, list(messages)) if application_id in m.subject]


def message_id(message: Message) -> str:
    """The Message-ID without the folding whitespace a long header is sent with."""
    return "".join(str(message["Message-ID"]).split())


def copies_by_message_id(messages: Iterable[Message]) -> Counter[str]:
    return Counter(message_id(m) for m in list(messages))


@dataclass
class Delivery:
    delivery_id: str
    signature_valid: bool  # signed with the secret, at most five minutes from the receiver's clock
    status: int
    body: dict[str, Any]
    refusal: str | None = None  # why the signature or the timestamp was refused


@dataclass
class WebhookReceiver:
    """A real HTTP server on loopback checking each POST as Standard Webhooks say: the
    `webhook-signature` over `webhook-id`, `webhook-timestamp` and the body, and a timestamp at
    most five minutes from its clock, so that a delivery replayed later is refused.

    It refuses the first `refuse_first` deliveries of each letter with 503, so that the sender
    has to retry; a bad signature or an old timestamp is answered 401. Every request is kept in
    `deliveries`.
    """

    secret: str
    refuse_first: int = 1
    deliveries: list[Delivery] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        (self.port,) = suitectl.free_ports(1)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                refusal = receiver.refusal(body, dict(self.headers.items()))
                delivery_id = self.headers.get("webhook-id", "")
                seen = sum(d.delivery_id == delivery_id for d in receiver.deliveries)
                status = 401 if refusal else 503 if seen < receiver.refuse_first else 204
                receiver.deliveries.append(
                    Delivery(delivery_id, refusal is None, status, json.loads(body), refusal)
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def refusal(self, body: bytes, headers: dict[str, str]) -> str | None:
        """Why the delivery is refused (no matching signature, a timestamp too old or too new,
        a header missing), or None."""
        try:
            Webhook(self.secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError as exc:
            return str(exc)
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/letters"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> Counter[str]:
        """Deliveries answered 2xx, counted per delivery id."""
        return Counter(d.delivery_id for d in list(self.deliveries) if d.status < 300)
