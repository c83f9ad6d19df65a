"""The HTTP CPA-platform adapter against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest
from verification.adapters.cpa_platform import HttpCpaPlatform, collect_answers
from verification.app import _http_platform
from verification.config import Settings
from verification.domain.financial import qr_queries
from verification.domain.verify import verify
from verification.errors import PlatformProtocolError, PlatformUnavailable
from verification_testkit import OTHER_ENTERPRISE_USCC, PARAMS_2026, AppBuilder, CpaTestServer
from vouchers_shared import signing_key

QR = "CPA-2025-5K00010T"
USCC = "91440305MA5K00010T"
REGISTERED_BODY = {"registered": True, "uscc": USCC, "fiscal_year": 2025}


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to the local server must not be sent to a proxy named in the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def client(
    server: CpaTestServer, *, timeout_s: float = 2.0, attempts: int = 3, token: str = CpaTestServer.token
) -> HttpCpaPlatform:
    return HttpCpaPlatform(
        server.base_url,
        token,
        timeout_s=timeout_s,
        attempts=attempts,
        backoff_base_s=0.01,
        backoff_cap_s=0.05,
    )


async def test_a_registered_code_for_this_uscc_and_year_is_registered(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY

    async with client(cpa_server) as platform:
        assert await platform.is_registered(QR, USCC, 2025) is True

    assert cpa_server.requests == [(f"/v1/qr/{QR}", "Bearer test-token")]


async def test_an_unknown_code_is_not_registered(cpa_server: CpaTestServer) -> None:
    async with client(cpa_server) as platform:
        assert await platform.is_registered("CPA-NOPE", USCC, 2025) is False

    assert cpa_server.hits == 1


async def test_a_code_the_platform_reports_as_unregistered_is_not_registered(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = {"registered": False}

    async with client(cpa_server) as platform:
        assert await platform.is_registered(QR, USCC, 2025) is False


async def test_a_code_registered_to_another_uscc_does_not_count(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = {**REGISTERED_BODY, "uscc": OTHER_ENTERPRISE_USCC}

    async with client(cpa_server) as platform:
        assert await platform.is_registered(QR, USCC, 2025) is False


async def test_a_code_registered_for_another_fiscal_year_does_not_count(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY

    async with client(cpa_server) as platform:
        assert await platform.is_registered(QR, USCC, 2024) is False


async def test_a_code_with_reserved_characters_is_sent_as_one_path_segment(
    cpa_server: CpaTestServer,
) -> None:
    code = "CPA/2025 验证?#1"
    cpa_server.registry[code] = REGISTERED_BODY

    async with client(cpa_server) as platform:
        assert await platform.is_registered(code, USCC, 2025) is True

    [(path, _)] = cpa_server.requests
    assert "/" not in path.removeprefix("/v1/qr/")


async def test_a_server_slower_than_the_timeout_is_unavailable_after_every_attempt(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY
    cpa_server.script.extend([("sleep", 5.0)] * 3)

    started = time.monotonic()
    async with client(cpa_server, timeout_s=0.2, attempts=3) as platform:
        with pytest.raises(PlatformUnavailable, match="3 attempt"):
            await platform.is_registered(QR, USCC, 2025)

    assert cpa_server.hits == 3
    assert time.monotonic() - started < 3.0


async def test_a_503_then_a_200_succeeds_on_the_retry(cpa_server: CpaTestServer) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY
    cpa_server.script.append(("status", 503))

    async with client(cpa_server) as platform:
        assert await platform.is_registered(QR, USCC, 2025) is True

    assert cpa_server.hits == 2


async def test_a_platform_that_keeps_failing_is_unavailable_never_registered(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY
    cpa_server.script.extend([("status", 500)] * 4)

    async with client(cpa_server, attempts=4) as platform:
        with pytest.raises(PlatformUnavailable):
            await platform.is_registered(QR, USCC, 2025)

    assert cpa_server.hits == 4


async def test_a_refused_token_is_not_retried_and_gives_no_answer(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY

    async with client(cpa_server, token="wrong") as platform:
        with pytest.raises(PlatformProtocolError, match="401"):
            await platform.is_registered(QR, USCC, 2025)

    assert cpa_server.hits == 1


async def test_a_malformed_body_gives_no_answer(cpa_server: CpaTestServer) -> None:
    cpa_server.script.append(("body", b'{"uscc": "only"}'))

    async with client(cpa_server) as platform:
        with pytest.raises(PlatformUnavailable):
            await platform.is_registered(QR, USCC, 2025)


async def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    platform = HttpCpaPlatform(
        f"http://127.0.0.1:{port}", "t", timeout_s=0.5, attempts=2, backoff_base_s=0.01, backoff_cap_s=0.02
    )
    async with platform:
        with pytest.raises(PlatformUnavailable, match="2 attempt"):
            await platform.is_registered(QR, USCC, 2025)


async def test_an_unanswering_platform_leaves_the_verdict_pending(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.script.extend([("status", 503)] * 2)
    app = AppBuilder.example().build()

    async with client(cpa_server, attempts=2) as platform:
        answers = await collect_answers(platform, qr_queries(app, params=PARAMS_2026))

    result = verify(app, qr_answers=answers, params=PARAMS_2026)
    assert result.outcome == "pending"
    assert [f.result for f in result.of_rule("MAT-AUDIT-QR")] == ["pending"]


async def test_the_token_does_not_show_in_the_adapters_repr() -> None:
    async with HttpCpaPlatform("http://127.0.0.1:9", "s3cret-token") as platform:
        assert "s3cret" not in repr(platform)


async def test_the_platform_token_of_the_settings_reaches_the_platform_and_is_never_shown(
    cpa_server: CpaTestServer,
) -> None:
    cpa_server.registry[QR] = REGISTERED_BODY
    settings = Settings(
        vouchers_token_key=signing_key.generate(),
        cpa_platform_url=cpa_server.base_url,
        cpa_platform_token=CpaTestServer.token,
    )
    assert CpaTestServer.token not in repr(settings) + settings.model_dump_json()
    platform = _http_platform(settings)
    assert platform is not None
    async with platform:
        assert await platform.is_registered(QR, USCC, 2025) is True
    assert cpa_server.requests == [(f"/v1/qr/{QR}", f"Bearer {CpaTestServer.token}")]
