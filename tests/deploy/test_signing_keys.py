"""No token-signing key written in the repository is accepted: not by the services, not by the
token code. The key-looking literals are found in every tracked file and in the history."""

from __future__ import annotations

import functools
import importlib
import re
import subprocess
from collections.abc import Iterator

import pytest
from pydantic import ValidationError
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService

from tests.deploy.conftest import REPO, SERVICES

# A quoted value given to anything called token key (YAML, JSON, Python keywords and dicts,
# env files), an unquoted `VOUCHERS_TOKEN_KEY=value`, a string assigned to a constant whose
# name ends in KEY, and a string handed straight to TokenService.
KEY_LITERALS = (
    re.compile(r"""(?i)token[_-]?key["']?\s*[:=]\s*["']([^"'\n]*)["']"""),
    re.compile(r"""VOUCHERS_TOKEN_KEY=([^\s"'$#][^\s#"']*)"""),
    re.compile(r"""(?m)^[+\s]*[A-Z][A-Z0-9_]*KEY\s*(?::[^=\n]+)?=\s*["']([^"'\n]+)["']"""),
    re.compile(r"""TokenService\(\s*["']([^"'\n]+)["']"""),
)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, timeout=120, check=True)
    return done.stdout.decode(errors="replace")


def _texts() -> Iterator[tuple[str, str]]:
    """(where, text): every tracked file, then every line the history ever added."""
    for name in _git("ls-files", "-z").split("\0"):
        path = REPO / name
        if name and path.is_file() and path.stat().st_size < 2_000_000:
            yield name, path.read_text(encoding="utf-8", errors="replace")
    added = [
        line[1:]
        for line in _git("log", "-p", "--no-ext-diff", "HEAD").splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    yield "git history", "\n".join(added)


def key_literals(text: str) -> set[str]:
    """The key-looking literals in `text`; interpolations (`${…}`, `$(…)`) are not literals."""
    return {
        m.group(1)
        for pattern in KEY_LITERALS
        for m in pattern.finditer(text)
        if not m.group(1).startswith("$")
    }


@functools.cache
def committed_keys() -> dict[str, str]:
    """Each key literal the repository holds or held, with the first place it was seen."""
    found: dict[str, str] = {}
    for where, text in _texts():
        for literal in key_literals(text):
            found.setdefault(literal, where)
    return found


def test_the_scan_finds_the_keys_written_in_the_repository() -> None:
    found = committed_keys()
    assert "replace-me" in found  # the Kubernetes Secret's placeholder, now gone from the tree
    assert "local-development-signing-key-not-for-production-use" in found  # an earlier default


def test_the_scan_reads_every_way_of_writing_a_key() -> None:
    text = """
      VOUCHERS_TOKEN_KEY: "in-yaml"
      {"vouchers_token_key": 'in-json'}
      Settings(vouchers_token_key="as-a-keyword")
      export VOUCHERS_TOKEN_KEY=in-a-shell
      SOME_SIGNING_KEY: str = "a-constant"
      TokenService("straight-in")
      VOUCHERS_TOKEN_KEY: ${VOUCHERS_TOKEN_KEY:?set it}
      VOUCHERS_TOKEN_KEY="$(cat .run/token.key)"
    """
    assert key_literals(text) == {
        "in-yaml",
        "in-json",
        "as-a-keyword",
        "in-a-shell",
        "a-constant",
        "straight-in",
    }


def test_no_key_written_in_the_repository_signs_a_token() -> None:
    for literal, where in committed_keys().items():
        assert signing_key.refusal(literal) is not None, f"{literal!r} ({where}) would be accepted"
        with pytest.raises(ValueError, match="signing key"):
            TokenService(literal)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("local_mode", [True, False], ids=["local mode", "production"])
def test_no_service_starts_on_a_key_written_in_the_repository_or_on_none(
    service: str, local_mode: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = importlib.import_module(f"{service}.config").Settings
    monkeypatch.delenv("VOUCHERS_TOKEN_KEY", raising=False)
    with pytest.raises(ValidationError, match="VOUCHERS_TOKEN_KEY"):
        settings(vouchers_local_mode=local_mode)
    for literal in committed_keys():
        with pytest.raises(ValidationError, match="VOUCHERS_TOKEN_KEY"):
            settings(vouchers_local_mode=local_mode, vouchers_token_key=literal)
    assert settings(vouchers_local_mode=local_mode, vouchers_token_key=signing_key.generate())
