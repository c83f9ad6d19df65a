"""The key that signs bearer tokens: generated for each installation, never one anyone can read.

A token signed with a key written in the repository proves nothing, since anyone can sign one
(an operator's included). So a key that appears in the repository, now or in its history, is
refused wherever a key is taken, in local mode too; so is one shorter than 32 bytes and one of
so few distinct characters that it was typed rather than generated.
"""

from __future__ import annotations

import secrets
from typing import Final

MIN_BYTES: Final = 32
MIN_DISTINCT_CHARACTERS: Final = 10
# Every literal key the repository holds or held: settings defaults, docker-compose.yml, the
# Kubernetes Secret's placeholder, the docs. tests/deploy/test_signing_keys.py finds the
# key-looking literals in the tracked files and fails on any that this module does not refuse.
COMMITTED: Final = frozenset(
    {
        "local-development-signing-key-not-for-production-use",
        "replace-me",
        "key-of-at-least-thirty-two-bytes",
        "a-signing-key-for-these-tests-only-0123456789",
        "another-installations-key-0123456789abcdef",
    }
)
HOW_TO_MAKE_ONE: Final = "generate a random one, e.g. `openssl rand -base64 48`"


def generate() -> str:
    """A new key: 48 random bytes, URL-safe base64 (64 characters)."""
    return secrets.token_urlsafe(48)


def refusal(key: str) -> str | None:
    """Why `key` may not sign tokens, or None when it may."""
    folded = key.strip().lower()
    if any(known in folded for known in COMMITTED):
        return "is written in the repository, so anyone can sign tokens with it"
    if len(key.encode()) < MIN_BYTES:
        return f"is shorter than {MIN_BYTES} bytes"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters, so it is not random"
    return None
