"""A token-signing key is the installation's own: none the repository holds, none short or typed."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService
from vouchers_shared.settings import CommonSettings, ServiceSettings

REFUSED = {
    "the former local default": "local-development-signing-key-not-for-production-use",
    "the former default, padded": "  local-development-signing-key-not-for-production-use\n",
    "the former default, in capitals": "LOCAL-DEVELOPMENT-SIGNING-KEY-NOT-FOR-PRODUCTION-USE",
    "the former default, lengthened": "local-development-signing-key-not-for-production-use-2",
    "the Kubernetes Secret's placeholder": "replace-me",
    "that placeholder, lengthened": "replace-me-with-something-long-and-random-please",
    "empty": "",
    "31 bytes": "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z",
    "one character repeated": "k" * 40,
    "two characters repeated": "ab" * 30,
    "nine distinct characters": "abcdefghi" * 5,
}
ACCEPTED = {
    "generated here": signing_key.generate(),
    "openssl rand -base64 32": base64.b64encode(os.urandom(32)).decode(),
    "openssl rand -hex 32": os.urandom(32).hex(),
    "random Chinese characters": "".join(chr(0x4E00 + b) for b in os.urandom(24)),  # 72 bytes
}


@pytest.mark.parametrize("key", REFUSED.values(), ids=REFUSED.keys())
def test_a_key_anyone_can_read_or_guess_is_refused(key: str) -> None:
    assert signing_key.refusal(key) is not None
    with pytest.raises(ValueError, match="signing key"):
        TokenService(key)


@pytest.mark.parametrize("local_mode", [True, False], ids=["local mode", "production"])
@pytest.mark.parametrize("key", REFUSED.values(), ids=REFUSED.keys())
def test_a_service_does_not_start_on_a_refused_key_in_either_mode(key: str, local_mode: bool) -> None:
    with pytest.raises(ValidationError, match="VOUCHERS_TOKEN_KEY") as refused:
        ServiceSettings(vouchers_token_key=key, vouchers_local_mode=local_mode)
    if key.strip():
        assert key.strip() not in str(refused.value)  # named, never echoed into the logs


@pytest.mark.parametrize("local_mode", [True, False], ids=["local mode", "production"])
def test_a_service_does_not_start_without_a_key(monkeypatch: pytest.MonkeyPatch, local_mode: bool) -> None:
    monkeypatch.delenv("VOUCHERS_TOKEN_KEY", raising=False)
    with pytest.raises(ValidationError, match="VOUCHERS_TOKEN_KEY is not set"):
        ServiceSettings(vouchers_local_mode=local_mode)


def test_a_key_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOUCHERS_TOKEN_KEY", "replace-me")
    with pytest.raises(ValidationError, match="written in the repository"):
        ServiceSettings()
    key = signing_key.generate()
    monkeypatch.setenv("VOUCHERS_TOKEN_KEY", key)
    assert ServiceSettings().signing_key() == key


@pytest.mark.parametrize("key", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_random_key_signs_and_verifies(key: str) -> None:
    assert signing_key.refusal(key) is None
    tokens = TokenService(ServiceSettings(vouchers_token_key=key).signing_key())
    assert tokens.verify(tokens.issue("operator")).role == "operator"


def test_generated_keys_differ_and_are_long() -> None:
    keys = {signing_key.generate() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(k.encode()) >= 64 for k in keys)


def test_local_mode_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOUCHERS_LOCAL_MODE", raising=False)
    assert CommonSettings().vouchers_local_mode is False


def test_the_common_settings_of_a_tool_need_no_key_until_one_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOUCHERS_TOKEN_KEY", raising=False)
    settings = CommonSettings()
    with pytest.raises(ValueError, match="VOUCHERS_TOKEN_KEY is not set"):
        settings.signing_key()
