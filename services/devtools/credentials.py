"""The development environment bootstrap used by `hot dev`, the tests and the benchmarks:
an organisation, an environment and a full-access API key (only its hash is stored)."""

from __future__ import annotations

import json

import psycopg

from services.core.ids import new_id
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
