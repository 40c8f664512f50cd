"""API key tokens: their format and the hash that is stored (the token itself never is).

Tokens look like `hot_<40 hex>`; ingest verifies a presented token by its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "hot_"  # noqa: S105 - a prefix, not a secret


def new_token() -> str:
    """A fresh random API key token."""
    return TOKEN_PREFIX + secrets.token_hex(20)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for (and looked up by) a token."""
    return hashlib.sha256(token.encode()).hexdigest()
