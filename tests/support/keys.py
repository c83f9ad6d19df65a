"""The token-signing key of one test run: random, as an installation's is, never a literal."""

from __future__ import annotations

from vouchers_shared import signing_key

TOKEN_KEY = signing_key.generate()
