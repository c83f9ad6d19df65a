"""The letter webhook between notification and a receiver: what WebhookChannel sends, the suite's
receiver (tests/support/letters.py, Standard Webhooks verification) takes, and it answers 401 to
a delivery signed with another secret, one replayed with its old timestamp, and one whose
timestamp was changed to look fresh."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from notification.adapters.channels import WebhookChannel, signing_key, webhook_headers
from notification.domain.letters import Letter, render_rejection
from notification.errors import ChannelError

from tests.support.letters import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"contract-webhook-key-of-32-bytes").decode()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver(secret=SECRET, refuse_first=0)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def letter() -> Letter:
    return render_rejection(
        decision_id="dec-contract-1",
        application_id="APP-2026-0042",
        applicant_name="深圳市示例智算科技有限公司",
        project_title="训练项目",
        failed_rules=[],
        reasons=["逾期未补正材料"],
        decided_on=date(2026, 6, 1),
        to="applicant@example.cn",
        own_people=(),
    )


async def test_what_the_channel_sends_the_receiver_takes(receiver: WebhookReceiver) -> None:
    await WebhookChannel(receiver.url, SECRET).send(letter())
    [delivery] = receiver.deliveries
    assert (delivery.status, delivery.signature_valid, delivery.refusal) == (204, True, None)
    assert delivery.body["application_id"] == "APP-2026-0042"


async def test_another_secret_is_refused(receiver: WebhookReceiver) -> None:
    other = "whsec_" + base64.b64encode(b"someone-else's-key-of-32-bytes!!").decode()
    with pytest.raises(ChannelError, match="401"):
        await WebhookChannel(receiver.url, other).send(letter())
    assert receiver.deliveries[0].refusal == "No matching signature found"


async def test_a_delivery_replayed_later_is_refused(receiver: WebhookReceiver) -> None:
    sent_at = time.time() - 3600  # captured an hour ago, sent again now
    with pytest.raises(ChannelError, match="401"):
        await WebhookChannel(receiver.url, SECRET, now=lambda: sent_at).send(letter())
    assert receiver.deliveries[0].refusal == "Message timestamp too old"
    assert not receiver.accepted()


async def test_a_replay_given_a_fresh_timestamp_is_refused(receiver: WebhookReceiver) -> None:
    body = WebhookChannel.payload(letter())
    captured = webhook_headers(signing_key(SECRET), "delivery-1", time.time() - 3600, body)
    retimed = {**captured, "webhook-timestamp": str(int(time.time())), "Content-Type": "application/json"}
    async with httpx.AsyncClient() as client:
        answer = await client.post(receiver.url, content=body, headers=retimed)
    assert answer.status_code == 401
    assert receiver.deliveries[0].refusal == "No matching signature found"
