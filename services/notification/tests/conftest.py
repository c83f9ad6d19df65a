"""Fixtures for the notification service's unit tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test support lives in tests/support; under --import-mode=importlib it is put on the path here.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from notification_testkit import WEBHOOK_SECRET, MailCollector, WebhookReceiver, start_smtp


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, MailCollector]]:
    """A real SMTP server on a free loopback port, keeping what it receives."""
    controller, collector = start_smtp()
    try:
        yield "127.0.0.1", int(controller.port), collector
    finally:
        controller.stop()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on a free loopback port."""
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
