"""The development environment bootstrap used by `hot dev`, the tests and the benchmarks:
an organisation, an environment and a full-access API key (only its hash is stored), and the
key context values are encrypted with (`HOT_SECRETS_KEY`, kept in `.devdata/secrets.key`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg

from services.core.ids import new_id
from services.core.secretbox import new_key
from services.core.tokens import new_token, token_hash

FULL_ACCESS = {"*:*": ["*"]}


def ensure_dev_environment(dsn: str, *, org_name: str = "dev", env_name: str = "development",
                           token: str | None = None) -> tuple[str, str]:
    """Make sure an org, an environment and a full-access API key exist; returns (env_id, token).

    When `token` is given and still active for that environment it is kept (so a restarted
    `hot dev` keeps the key it printed before); otherwise a new key is created.
    """
    with psycopg.connect(dsn) as conn, conn.transaction():
        row = conn.execute("SELECT org_id::text FROM hot.org WHERE name = %s", (org_name,)).fetchone()
        org_id = row[0] if row else new_id()
        if not row:
            conn.execute("INSERT INTO hot.org (org_id, name) VALUES (%s, %s)", (org_id, org_name))
        row = conn.execute("SELECT env_id::text FROM hot.env WHERE org_id = %s AND name = %s",
                           (org_id, env_name)).fetchone()
        env_id = row[0] if row else new_id()
        if not row:
            conn.execute("INSERT INTO hot.env (env_id, org_id, name) VALUES (%s, %s, %s)", (env_id, org_id, env_name))
        if token:
            found = conn.execute("SELECT 1 FROM hot.api_key WHERE token_hash = %s AND env_id = %s AND active",
                                 (token_hash(token), env_id)).fetchone()
            if found:
                return env_id, token
        token = new_token()
        conn.execute(
            "INSERT INTO hot.api_key (api_key_id, env_id, name, token_hash, token_prefix, permissions) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (new_id(), env_id, "development key", token_hash(token), token[:8], json.dumps(FULL_ACCESS)),
        )
        return env_id, token


def ensure_secrets_key(data_dir: Path) -> str:
    """The dev `HOT_SECRETS_KEY`: read from `<data_dir>/secrets.key`, or generated there (mode
    0600) on first use, so context values stay readable across restarts of `hot dev`."""
    path = data_dir / "secrets.key"
    if path.is_file():
        key = path.read_text().strip()
        if key:
            return key
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key
