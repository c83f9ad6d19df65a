"""Letters reach a real mail server and a real webhook receiver on loopback, or fail loudly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from notification.adapters.channels import SmtpChannel, WebhookChannel, delivery_id, signing_key
from notification.app import _channels
from notification.config import Settings
from notification.domain.letters import Letter, render_approval
from notification.errors import ChannelError
from notification_testkit import WEBHOOK_SECRET, Delivery, MailCollector, WebhookReceiver, free_port
from vouchers_shared import signing_key as token_keys
from vouchers_shared.errors import TransientError

SENDER = "深圳市训力券办理系统 <noreply@vouchers.example.cn>"


def letter(decision_id: str = "dec-0123456789abcdef") -> Letter:
    return render_approval(
        decision_id=decision_id,
        application_id="APP-2026-0001",
        applicant_name="深圳市示例智算科技有限公司",
        project_title="面向制造业质检的视觉大模型训练",
        amount_cny=Decimal("1200000.00"),
        granted_on=date(2026, 10, 13),
        to="applicant@example.cn",
    )


def smtp(host: str, port: int) -> SmtpChannel:
    return SmtpChannel(host, port, None, None, False, SENDER, timeout=5.0)


def received(collector: MailCollector, index: int = 0) -> EmailMessage:
    raw = collector.envelopes[index].original_content
    assert raw is not None
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def test_the_letter_arrives_by_mail_with_the_amount_in_figures_and_capitals(
    smtp_server: tuple[str, int, MailCollector],
) -> None:
    host, port, collector = smtp_server
    await smtp(host, port).send(letter())
    assert len(collector.envelopes) == 1
    assert collector.envelopes[0].rcpt_tos == ["applicant@example.cn"]
    msg = received(collector)
    assert msg["Subject"] == "深圳市训力券批准通知（申请编号：APP-2026-0001）"
    assert msg["From"].addresses[0].display_name == "深圳市训力券办理系统"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    for part in (text, html):
        body = part.get_content()
        assert "¥1,200,000.00" in body
        assert "人民币壹佰贰拾万元整" in body


async def test_a_resent_letter_carries_the_same_message_id(
    smtp_server: tuple[str, int, MailCollector],
) -> None:
    host, port, collector = smtp_server
    channel = smtp(host, port)
    await channel.send(letter())
    await channel.send(letter())
    await channel.send(letter("dec-other"))
    ids = [received(collector, i)["Message-ID"] for i in range(3)]
    assert ids[0] == ids[1] == "<approval.dec-0123456789abcdef@vouchers.example.cn>"
    assert ids[2] != ids[0]


async def test_mail_to_a_closed_port_raises_a_transient_channel_error() -> None:
    with pytest.raises(ChannelError, match=r"127\.0\.0\.1") as caught:
        await smtp("127.0.0.1", free_port()).send(letter())
    assert isinstance(caught.value, TransientError)


def test_a_sender_without_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="sender"):
        SmtpChannel("127.0.0.1", 25, None, None, False, "训力券")


async def test_the_webhook_receives_json_signed_as_standard_webhooks_with_a_delivery_id(
    webhook_receiver: WebhookReceiver,
) -> None:
    url = webhook_receiver.server_url
    before = time.time()
    await WebhookChannel(url, webhook_receiver.secret).send(letter())
    [delivery] = webhook_receiver.deliveries
    assert webhook_receiver.refusal(delivery) is None
    assert delivery.headers["webhook-id"] == delivery_id(letter())
    assert int(before) <= int(delivery.headers["webhook-timestamp"]) <= time.time()
    payload = json.loads(delivery.body.decode("utf-8"))
    assert payload["type"] == "letter.approval"
    assert payload["application_id"] == "APP-2026-0001"
    assert "人民币壹佰贰拾万元整" in payload["text"]
    assert "applicant@example.cn" not in delivery.body.decode("utf-8")


async def test_the_signature_is_the_hmac_of_id_timestamp_and_body_with_the_secret_key(
    webhook_receiver: WebhookReceiver,
) -> None:
    await WebhookChannel(webhook_receiver.server_url, webhook_receiver.secret).send(letter())
    [delivery] = webhook_receiver.deliveries
    key = base64.b64decode(webhook_receiver.secret.removeprefix("whsec_"))
    signed = b".".join(
        [
            delivery.headers["webhook-id"].encode(),
            delivery.headers["webhook-timestamp"].encode(),
            delivery.body,
        ]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert delivery.headers["webhook-signature"] == f"v1,{expected}"


async def test_a_signature_made_with_another_secret_does_not_verify(
    webhook_receiver: WebhookReceiver,
) -> None:
    other = "whsec_" + base64.b64encode(b"another-key-of-thirty-two-bytes!").decode()
    await WebhookChannel(webhook_receiver.server_url, other).send(letter())
    assert webhook_receiver.refusal(webhook_receiver.deliveries[0]) == "No matching signature found"


@pytest.mark.parametrize(
    ("offset_s", "refused"),
    [
        (-600, "Message timestamp too old"),
        (-310, "Message timestamp too old"),
        (600, "Message timestamp too new"),
        (-290, None),
        (0, None),
    ],
)
async def test_a_delivery_more_than_five_minutes_old_or_ahead_is_refused(
    webhook_receiver: WebhookReceiver,
    offset_s: int,
    refused: str | None,
) -> None:
    """A delivery captured and sent again later carries its old timestamp, so it is refused."""
    channel = WebhookChannel(
        webhook_receiver.server_url, webhook_receiver.secret, now=lambda: time.time() + offset_s
    )
    await channel.send(letter())
    assert webhook_receiver.refusal(webhook_receiver.deliveries[0]) == refused


async def test_a_replay_with_a_fresh_timestamp_does_not_verify(
    webhook_receiver: WebhookReceiver,
) -> None:
    channel = WebhookChannel(
        webhook_receiver.server_url, webhook_receiver.secret, now=lambda: time.time() - 600
    )
    await channel.send(letter())
    captured = webhook_receiver.deliveries[0]
    replayed = Delivery({**captured.headers, "webhook-timestamp": str(int(time.time()))}, captured.body)
    assert webhook_receiver.refusal(replayed) == "No matching signature found"


async def test_a_resent_webhook_carries_the_same_id_and_a_new_timestamp_and_signature(
    webhook_receiver: WebhookReceiver,
) -> None:
    clock = iter([1_800_000_000.0, 1_800_000_007.0, 1_800_000_009.0])
    channel = WebhookChannel(webhook_receiver.server_url, webhook_receiver.secret, now=lambda: next(clock))
    await channel.send(letter())
    await channel.send(letter())
    await channel.send(letter("dec-other"))
    first, again, other = (d.headers for d in webhook_receiver.deliveries)
    assert first["webhook-id"] == again["webhook-id"] != other["webhook-id"]
    assert (first["webhook-timestamp"], again["webhook-timestamp"]) == ("1800000000", "1800000007")
    assert first["webhook-signature"] != again["webhook-signature"]


@pytest.mark.parametrize(
    "secret",
    [
        "another-secret",
        "whsec_not*base64",
        "whsec_" + base64.b64encode(b"sixteen bytes!!!").decode(),
        "whsec_" + base64.b64encode(b"k" * 65).decode(),
    ],
)
def test_a_secret_that_is_not_a_standard_webhooks_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="whsec_ and the base64 of 24 to 64 random bytes"):
        WebhookChannel("http://127.0.0.1:1/", secret)


def test_the_whsec_prefix_may_be_left_out() -> None:
    assert signing_key(WEBHOOK_SECRET) == signing_key(WEBHOOK_SECRET.removeprefix("whsec_"))


async def test_a_webhook_answering_an_error_raises_a_channel_error(
    webhook_receiver: WebhookReceiver,
) -> None:
    webhook_receiver.status = 503
    with pytest.raises(ChannelError, match="503"):
        await WebhookChannel(webhook_receiver.server_url, webhook_receiver.secret).send(letter())


async def test_a_webhook_on_a_closed_port_raises_a_channel_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/letters"
    with pytest.raises(ChannelError, match="ConnectError"):
        await WebhookChannel(url, WEBHOOK_SECRET).send(letter())


def test_a_webhook_without_a_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookChannel("http://127.0.0.1:1/", "")


async def test_the_secrets_of_the_settings_reach_the_channels_and_are_never_shown(
    webhook_receiver: WebhookReceiver,
) -> None:
    settings = Settings(
        vouchers_token_key=token_keys.generate(),
        smtp_password="mail-pa55",
        letter_webhook_url=webhook_receiver.server_url,
        letter_webhook_secret=webhook_receiver.secret,
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "mail-pa55" not in shown
    assert webhook_receiver.secret not in shown
    channels = _channels(settings)
    assert isinstance(channels["smtp"], SmtpChannel)
    assert channels["smtp"].password == "mail-pa55"
    await channels["webhook"].send(letter())
    assert webhook_receiver.signature_valid(webhook_receiver.deliveries[0])


def test_a_webhook_without_its_secret_in_the_settings_is_refused() -> None:
    with pytest.raises(ValueError, match="LETTER_WEBHOOK_SECRET"):
        _channels(
            Settings(vouchers_token_key=token_keys.generate(), letter_webhook_url="http://127.0.0.1:1/")
        )
