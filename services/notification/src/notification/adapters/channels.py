"""Where letters go: the applicant's mailbox over SMTP, and a webhook the deployment names.

Both channels identify a letter by its decision id, so a letter sent twice (after a retry or a
restart) carries the same `Message-ID` / `webhook-id` and the receiver can tell.
Any failure raises `ChannelError`, a transient error: the caller retries with backoff.

The webhook signs as Standard Webhooks (standardwebhooks.com) does: `webhook-id` (the delivery,
the same on every resend), `webhook-timestamp` (this attempt, Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, with the key the
`whsec_` secret holds, so a receiver can refuse a delivery replayed later.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Final

import aiosmtplib
import httpx
from standardwebhooks import Webhook

from notification.domain.letters import Letter
from notification.errors import ChannelError

WEBHOOK_ID: Final = "webhook-id"
WEBHOOK_TIMESTAMP: Final = "webhook-timestamp"
WEBHOOK_SIGNATURE: Final = "webhook-signature"
SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the scheme's marker of a secret, not one
DECISION_HEADER: Final = "X-Vouchers-Decision"
_DELIVERY_NAMESPACE: Final = uuid.UUID("5d1f4a8e-2c3b-5e7f-9a1d-6b8c0e2f4a61")


def delivery_id(letter: Letter) -> str:
    """The same for every send of one letter: a UUID derived from its kind and decision id."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{letter.kind}:{letter.decision_id}"))


def message_id(letter: Letter, domain: str) -> str:
    """An RFC 5322 Message-ID derived from the letter's decision id."""
    return f"<{letter.kind}.{letter.decision_id}@{domain}>"


def signing_key(secret: str) -> bytes:
    """The key of a Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes
    (`whsec_` optional). Anything else is refused, so a mistyped secret stops the service at
    start-up rather than signing with a key the receiver does not have."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not 24 <= len(key) <= 64:
        raise ValueError(
            "the webhook secret must be whsec_ and the base64 of 24 to 64 random bytes, e.g. "
            'python3 -c "import base64, secrets; '
            "print('whsec_' + base64.b64encode(secrets.token_bytes(32)).decode())\""
        )
    return key


def webhook_headers(key: bytes, delivery: str, at: float, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt to deliver `body` at Unix time `at`."""
    timestamp = datetime.fromtimestamp(int(at), UTC)
    return {
        WEBHOOK_ID: delivery,
        WEBHOOK_TIMESTAMP: str(int(at)),
        WEBHOOK_SIGNATURE: Webhook(key).sign(delivery, timestamp, body.decode("utf-8")),
    }


class SmtpChannel:
    """Sends a letter as multipart text + HTML mail, UTF-8 throughout."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        starttls: bool,
        sender: str,
        *,
        timeout: float = 30.0,
    ) -> None:
        address = parseaddr(sender)[1]
        if "@" not in address:
            raise ValueError(f"the sender must be a mail address, got {sender!r}")
        self.host, self.port, self.starttls, self.sender = host, port, starttls, sender
        self.username = username or None
        self.password = password or None
        self.timeout = timeout
        self.domain = address.rsplit("@", 1)[1]

    def build_message(self, letter: Letter) -> EmailMessage:
        """The MIME message for a letter (multipart/alternative, text first)."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = letter.to
        msg["Subject"] = letter.subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = message_id(letter, self.domain)
        msg[DECISION_HEADER] = letter.decision_id
        msg.set_content(letter.text, charset="utf-8")
        msg.add_alternative(letter.html, subtype="html", charset="utf-8")
        return msg

    async def send(self, letter: Letter) -> None:
        """Hand the letter to the mail server; ChannelError when it cannot be handed over."""
        try:
            await aiosmtplib.send(
                self.build_message(letter),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise ChannelError(
                f"mail for {letter.application_id} via {self.host}:{self.port} failed: {exc}"
            ) from exc


class WebhookChannel:
    """POSTs a letter as signed JSON; the receiver checks the signature and its timestamp, and
    dedups on `webhook-id`. `now` is the wall clock in Unix seconds: a receiver compares the
    timestamp with its own."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a signing secret")
        self.url = url
        self._key = signing_key(secret)
        self.timeout = timeout or httpx.Timeout(10.0, connect=5.0)
        self._transport = transport
        self._now = now

    @staticmethod
    def payload(letter: Letter) -> bytes:
        """The JSON body; the recipient's mail address stays out of it."""
        body = {
            "type": f"letter.{letter.kind}",
            "delivery_id": delivery_id(letter),
            "decision_id": letter.decision_id,
            "application_id": letter.application_id,
            "subject": letter.subject,
            "text": letter.text,
            "html": letter.html,
        }
        return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")

    async def send(self, letter: Letter) -> None:
        """POST the letter; ChannelError unless the receiver answers 2xx."""
        body = self.payload(letter)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            **webhook_headers(self._key, delivery_id(letter), self._now(), body),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook {self.url} failed: {exc!r}") from exc
        if not response.is_success:
            raise ChannelError(f"webhook {self.url} answered {response.status_code}")
