"""`vouchers` answers an ordinary mistake with one line on stderr and exit status 2, never a
traceback, and issues no token for a code that is not a valid USCC."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from intake import cli
from vouchers_shared import signing_key, topics

SAMPLES = Path(__file__).resolve().parents[3] / "deploy" / "sample"
VALID_USCC = "91440305MA5K00010T"
VOUCHERS = Path(sys.executable).with_name("vouchers")


@pytest.fixture(autouse=True)
def installation_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key of this installation, as `make up` gives it (.run/token.key)."""
    monkeypatch.setenv("VOUCHERS_TOKEN_KEY", signing_key.generate())


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "notes.txt").write_text("not json", encoding="utf-8")
    (tmp_path / "latin1.json").write_bytes(b'["\xe9"]')
    (tmp_path / "no-applicant.json").write_text('{"application": {"project": {}}}', encoding="utf-8")
    (tmp_path / "bad-uscc.json").write_text(
        json.dumps({"applicant": {"uscc": "91440305MA5K00010X"}}), encoding="utf-8"
    )
    (tmp_path / "a-list.json").write_text("[1, 2]", encoding="utf-8")
    return {
        "missing": str(tmp_path / "nope.json"),
        "dir": str(tmp_path),
        "text": str(tmp_path / "notes.txt"),
        "latin1": str(tmp_path / "latin1.json"),
        "no_applicant": str(tmp_path / "no-applicant.json"),
        "bad_uscc": str(tmp_path / "bad-uscc.json"),
        "list": str(tmp_path / "a-list.json"),
        "out": str(tmp_path / "tokens.json"),
        "unwritable": "/proc/no/tokens.json",
        "sample": str(SAMPLES / "refdata.json"),
    }


MISTAKES = {
    "no command": ([], "required"),
    "unknown command": (["tokenz"], "invalid choice"),
    "refdata file not there": (["refdata", "load", "providers", "{missing}"], "cannot read"),
    "refdata file a folder": (["refdata", "load", "providers", "{dir}"], "cannot read"),
    "refdata file not JSON": (["refdata", "load", "providers", "{text}"], "is not JSON"),
    "refdata file not UTF-8": (["refdata", "load", "providers", "{latin1}"], "is not JSON"),
    "refdata kind unknown": (["refdata", "load", "provider", "{sample}"], "invalid choice: 'provider'"),
    "--at without a colon": (["dlq", "show", topics.APPLICATIONS, "--at", "3-1042"], "PARTITION:OFFSET"),
    "--at not numbers": (["dlq", "replay", topics.COI, "--at", "three:ten"], "PARTITION:OFFSET"),
    "--at negative": (["dlq", "replay", topics.COI, "--at=-1:5"], "PARTITION:OFFSET"),
    "dlq topic unknown": (["dlq", "list", "vouchers.nope.v1"], "not a topic of the suite"),
    "dlq topic given as the dead-letter topic": (
        ["dlq", "list", f"{topics.APPLICATIONS}.dlq"],
        f"its original topic is {topics.APPLICATIONS}",
    ),
    "token USCC with a wrong check character": (
        ["token", "submitter", "91440305MA5K00010X"],
        "not a valid unified social credit code",
    ),
    "token USCC too short": (["token", "submitter", "9144030"], "not a valid unified social credit code"),
    "token USCC in lower case": (
        ["token", "submitter", VALID_USCC.lower()],
        "not a valid unified social credit code",
    ),
    "submitter token without a USCC": (["token", "submitter"], "names the applicant's USCC"),
    "operator token with a USCC": (["token", "operator", VALID_USCC], "only a submitter token"),
    "tokens from a file not there": (["tokens", "{out}", "--applicants-from", "{missing}"], "cannot read"),
    "tokens from a file that is no application": (
        ["tokens", "{out}", "--applicants-from", "{no_applicant}"],
        "names no applicant.uscc",
    ),
    "tokens from a list": (["tokens", "{out}", "--applicants-from", "{list}"], "names no applicant.uscc"),
    "tokens for an invalid USCC": (
        ["tokens", "{out}", "--applicants-from", "{bad_uscc}"],
        "not a valid unified social credit code",
    ),
    "tokens file not writable": (["tokens", "{unwritable}"], "cannot write"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_an_ordinary_mistake_is_one_line_on_stderr_and_exit_status_2(
    mistake: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv, said = MISTAKES[mistake]
    code = cli.main([a.format(**files) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""  # no token, nothing published
    assert err.count("\n") == 1
    assert err.startswith("vouchers: ")
    assert said in err


def test_settings_that_do_not_hold_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOUCHERS_TOKEN_KEY", "replace-me")  # refused: written in the repository
    assert cli.main(["token", "operator"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("vouchers: the settings do not hold: ")
    assert err.count("\n") == 1


def test_a_valid_uscc_gets_its_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["token", "submitter", VALID_USCC]) == 0
    assert capsys.readouterr().out.count(".") == 2


def test_the_tokens_file_of_the_sample_applicants_is_written(files: dict[str, str]) -> None:
    samples = sorted(str(p) for p in (SAMPLES / "applications").glob("*.json"))
    assert cli.main(["tokens", files["out"], "--applicants-from", *samples]) == 0
    written = json.loads(Path(files["out"]).read_text(encoding="utf-8"))
    assert len(written["submitter"]) == len(samples)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_vouchers(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VOUCHERS), *argv], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_the_installed_command_says_a_mistake_in_one_line() -> None:
    done = run_vouchers("dlq", "show", topics.APPLICATIONS, "--at", "3-1042")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [["refdata", "load", "providers", str(SAMPLES / "refdata.json")], ["carry-over"]],
    ids=["refdata load", "carry-over"],
)
def test_kafka_not_answering_is_one_line_and_exit_status_1(tmp_path: Path, argv: list[str]) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed_port()}",
    }
    done = run_vouchers(*argv, env=env)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("vouchers: Kafka did not answer")
