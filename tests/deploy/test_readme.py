"""What the README gives a newcomer to type works in this repository: every path it names in code
is there (or is what make install makes), every make target it names is one, and every command
line of `vouchers` and of the benchmark parses, its files read as the command reads them."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import subprocess
from datetime import UTC, datetime

import pytest
from intake import cli
from intake.refdata_loader import build_snapshot
from vouchers_shared import signing_key

from tests.deploy.machine import REPO, FakeMachine

README = REPO / "README.md"
# A path inside the repository: one of its top folders, then anything a path or a glob holds.
REPO_PATH = re.compile(r"(?<![\w./-])((?:deploy|shared|services|tests|docs)/[\w./*-]*)")


def code() -> list[str]:
    """The README's code: fenced blocks, inline code spans and link targets."""
    text = README.read_text(encoding="utf-8")
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return fenced + re.findall(r"`([^`\n]+)`", prose) + re.findall(r"\]\(([^)\s]+)\)", text)


def fenced_commands(program: str) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    lines = [
        line
        for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
        for line in block.splitlines()
    ]
    return [shlex.split(line, comments=True)[1:] for line in lines if line.startswith(f"{program} ")]


def made_by_make(path: str) -> bool:
    """A path git ignores: what make install or make up makes (libs, binaries, .venv)."""
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
    return done.returncode == 0


def named_paths() -> set[str]:
    return {found.rstrip(".,;:") for chunk in code() for found in REPO_PATH.findall(chunk)}


def test_the_readme_names_paths() -> None:
    assert {"deploy/sample/refdata.json", "deploy/local/ferretdb/go.mod", "docs/asyncapi/"} <= named_paths()


@pytest.mark.parametrize("path", sorted(named_paths()))
def test_every_path_the_readme_names_is_in_the_repository(path: str) -> None:
    there = any(REPO.glob(path)) if "*" in path else (REPO / path).exists()
    assert there or made_by_make(path), f"README names {path}, which the repository does not have"


def test_every_make_target_the_readme_names_is_one() -> None:
    named = {m for chunk in code() for m in re.findall(r"(?<![\w-])make ([\w-]+)", chunk)}
    assert {"demo", "test", "install", "doctor", "test-fast"} <= named
    for target in sorted(named):
        done = FakeMachine.dry_run(target)  # what make would run: "No rule to make target" if none
        assert done.returncode == 0, f"make {target}: {done.stderr}"


def test_every_vouchers_command_parses() -> None:
    commands = fenced_commands(".venv/bin/vouchers")
    assert len(commands) >= 3
    for argv in commands:
        cli._parser().parse_args(argv)


def test_the_refdata_load_of_the_readme_reads_its_file_as_a_valid_load() -> None:
    [argv] = [a for a in fenced_commands(".venv/bin/vouchers") if a[:2] == ["refdata", "load"]]
    kind, file = argv[2], REPO / argv[3]
    items = cli.kind_items(kind, json.loads(file.read_text(encoding="utf-8")))
    assert build_snapshot(kind, items, "readme", datetime.now(UTC)).items


def test_the_token_command_of_the_readme_prints_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOUCHERS_TOKEN_KEY", signing_key.generate())  # as the README exports it
    [argv] = [a for a in fenced_commands(".venv/bin/vouchers") if a[0] == "token"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(argv) == 0
    assert out.getvalue().count(".") == 2  # header.claims.signature


def test_the_benchmark_options_of_the_readme_parse() -> None:
    from deploy.bench.bench import parse_args

    options = {o for chunk in code() for o in re.findall(r'BENCH_ARGS="([^"]*)"', chunk)}
    assert options
    for option in options:
        parse_args(shlex.split(option))
