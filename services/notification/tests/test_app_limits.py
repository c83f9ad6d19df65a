"""The notification service as built for running refuses a body over HTTP_MAX_BODY_BYTES with 413
before the objection form, or any endpoint, reads it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from notification.app import create_app
from notification.config import Settings
from vouchers_shared import signing_key

BIG = json.dumps({"application_id": "APP-1", "reason": "理" * (700 * 1024), "contact": "a@b.cn"}).encode()


async def _streamed() -> AsyncIterator[bytes]:
    for start in range(0, len(BIG), 64 * 1024):
        yield BIG[start : start + 64 * 1024]


@pytest.mark.parametrize("streamed", [False, True])
async def test_the_objection_form_refuses_a_body_over_a_mebibyte_with_413(streamed: bool) -> None:
    app = create_app(Settings(vouchers_token_key=signing_key.generate()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client:
        response = await client.post(
            "/v1/notices/GS20260601-ABC123/objections",
            content=_streamed() if streamed else BIG,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "BODY_TOO_LARGE"
