"""`vouchers token` and `vouchers tokens`: signed with the installation's key, never for no applicant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from intake.cli import main
from stdnum.cn import uscc as stdnum_uscc
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService

KEY = signing_key.generate()
BODY = "91440305MA5K00002"
USCC = BODY + stdnum_uscc.calc_check_digit(BODY)
WRONG_CHECK = BODY + ("0" if USCC[-1] != "0" else "1")


@pytest.fixture(autouse=True)
def installation_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOUCHERS_TOKEN_KEY", KEY)


@pytest.mark.parametrize(
    "uscc", [[], [WRONG_CHECK], ["914403"], [""]], ids=["none", "wrong check digit", "too short", "empty"]
)
def test_no_submitter_token_without_a_valid_applicant(
    uscc: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "submitter", *uscc]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "USCC" in err or "unified social credit code" in err


def test_a_submitter_token_names_its_applicant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "submitter", USCC]) == 0
    token = capsys.readouterr().out.strip()
    assert TokenService(KEY).verify(token).uscc == USCC


@pytest.mark.parametrize("key", [None, "replace-me", "s3cr3t-but-short"], ids=["none", "committed", "short"])
def test_no_token_without_a_key_of_the_installations_own(
    key: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if key is None:
        monkeypatch.delenv("VOUCHERS_TOKEN_KEY")
    else:
        monkeypatch.setenv("VOUCHERS_TOKEN_KEY", key)

    assert main(["token", "operator"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "VOUCHERS_TOKEN_KEY" in err
    assert key is None or key not in err.split("VOUCHERS_TOKEN_KEY", 1)[1]  # named, not echoed


def test_the_tokens_file_refuses_an_application_with_an_invalid_applicant(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"applicant": {"uscc": USCC}}))
    bad.write_text(json.dumps({"application": {"applicant": {"uscc": WRONG_CHECK}}}))

    assert main(["tokens", str(tmp_path / "tokens.json"), "--applicants-from", str(good), str(bad)]) == 2
    assert not (tmp_path / "tokens.json").exists()
    assert main(["tokens", str(tmp_path / "tokens.json"), "--applicants-from", str(good)]) == 0
    written = json.loads((tmp_path / "tokens.json").read_text())
    assert TokenService(KEY).verify(written["submitter"][USCC]).uscc == USCC
