"""`make up` (suitectl) signs with a key of the installation's own, kept in .run/ for itself only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import suitectl
from vouchers_shared import signing_key
from vouchers_shared.settings import ServiceSettings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_up_makes_a_random_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / ".run" / "token.key"

    key = suitectl.installation_token_key(path)

    assert signing_key.refusal(key) is None
    assert mode(path) == 0o600
    assert suitectl.installation_token_key(tmp_path / "other" / "token.key") != key


def test_later_runs_keep_the_key_and_narrow_a_widened_file(tmp_path: Path) -> None:
    path = tmp_path / "token.key"
    key = suitectl.installation_token_key(path)
    path.chmod(0o644)

    assert suitectl.installation_token_key(path) == key
    assert mode(path) == 0o600


@pytest.mark.parametrize("written", ["replace-me", "short", "k" * 64])
def test_a_refused_key_in_the_file_stops_up(tmp_path: Path, written: str) -> None:
    path = tmp_path / "token.key"
    path.write_text(written + "\n")

    with pytest.raises(suitectl.SuiteError, match="delete the file"):
        suitectl.installation_token_key(path)


def test_every_service_is_given_the_installation_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "token.key"
    monkeypatch.setattr(suitectl, "TOKEN_KEY_FILE", path)

    env = suitectl.suite_env()

    assert env["VOUCHERS_TOKEN_KEY"] == path.read_text().strip()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = ServiceSettings()
    assert settings.signing_key() == env["VOUCHERS_TOKEN_KEY"]
    assert settings.vouchers_local_mode is True
    recorded = suitectl.service_settings(env)
    assert env["VOUCHERS_TOKEN_KEY"] not in "".join(recorded.values())  # the pid-side record
    assert "VOUCHERS_TOKEN_KEY_SHA256" in recorded  # a new key restarts the services
