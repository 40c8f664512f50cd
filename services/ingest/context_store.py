"""Context variables and secrets in PostgreSQL (`hot.context`, integrations-spec §2.4, §2.5).

Rows are environment-level (`project_id` NULL) or project-level. Every value is stored encrypted
(`services.core.secretbox`): the plaintext is the value's JSON text. Reads never return a secret's
value: `get` shows `context.MASK` for it. Writes validate the key and the value's size.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import errors as pg_errors

from services.core import db, jsonsafe, model
from services.core.config import ContextSettings
from services.core.context import MASK
from services.core.db import Pool
from services.core.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable
from services.core.ids import new_id, parse_uuid
from services.core.secretbox import SecretBox, scope_aad

COLUMNS = "key, description, secret, created_at, updated_at, project_id::text AS project_id"
MAX_DESCRIPTION_LENGTH = 1000


def _variable(row: dict[str, Any], value: Any = None) -> model.ContextVariable:
    return model.ContextVariable(key=row["key"], description=row["description"], secret=row["secret"],
                                 created_at=row["created_at"], updated_at=row["updated_at"],
                                 project_id=row["project_id"], value=value)


class ContextStore:
    """Reads and writes of context variables for ingest's gRPC API."""

    def __init__(self, pool: Pool, box: SecretBox, settings: ContextSettings) -> None:
        self._pool = pool
        self._box = box
        self._settings = settings

    # ----- scope ------------------------------------------------------------------------------

    async def project_id(self, env_id: str, project: str) -> str | None:
        """None for environment-level (`project` empty); else the project's id from its id or
        name in this environment (by id: active projects only; by name: inactive ones too)."""
        if not project:
            return None
        parsed = parse_uuid(project)
        async with self._pool.connection() as conn:
            if parsed is not None:
                cur = await conn.execute("SELECT project_id::text AS id FROM hot.project WHERE env_id = %s "
                                         "AND ((project_id = %s AND active) OR name = %s)",
                                         (env_id, str(parsed), project))
            else:
                cur = await conn.execute("SELECT project_id::text AS id FROM hot.project WHERE env_id = %s "
                                         "AND name = %s", (env_id, project))
            row = await cur.fetchone()
        if row is None:
            raise NotFound("Project not found")
        found: str = row["id"]
        return found

    @staticmethod
    def _scope(project_id: str | None) -> tuple[str, tuple[Any, ...]]:
        if project_id is None:
            return "env_id = %s AND project_id IS NULL AND active", ()
        return "env_id = %s AND project_id = %s AND active", (project_id,)

    def check_key(self, key: str) -> str:
        if not key or not key.strip():
            raise Unprocessable("context key must be a non-empty string")
        if len(key) > self._settings.max_key_length:
            raise Unprocessable(f"context key is longer than {self._settings.max_key_length} characters "
                                "(HOT_MAX_CONTEXT_KEY_LENGTH)")
        problem = jsonsafe.string_problem(key)
        if problem is not None or any(c in key for c in "\r\n\t"):
            raise Unprocessable(f"context key {problem or 'contains a control character'}")
        return key

    def _plaintext(self, value_json: str) -> str:
        size = len(value_json.encode("utf-8", "surrogatepass"))
        if size > self._settings.max_value_bytes:
            raise PayloadTooLarge(f"context value is {size} bytes, over the limit of "
                                  f"{self._settings.max_value_bytes} bytes (HOT_MAX_CONTEXT_VALUE_BYTES)")
        try:
            value = jsonsafe.loads(value_json, root="value")
        except (jsonsafe.MalformedJson, jsonsafe.UnstorableJson) as exc:
            raise Unprocessable(exc.message) from None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    # ----- reads ------------------------------------------------------------------------------

    async def page(self, env_id: str, project_id: str | None, page: model.Page) -> model.PageOf[model.ContextVariable]:
        where, extra = self._scope(project_id)
        rows, total = await db.fetch_page(self._pool, select=COLUMNS, source="hot.context", where=where,
                                          params=(env_id, *extra), order="key", limit=page.limit,
                                          offset=page.offset)
        return model.PageOf([_variable(r) for r in rows], total, page)

    async def get(self, env_id: str, project_id: str | None, key: str) -> model.ContextVariable:
        """The variable with its value, or `MASK` for a secret."""
        where, extra = self._scope(project_id)
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"SELECT {COLUMNS}, value FROM hot.context WHERE {where} AND key = %s",
                                     (env_id, *extra, key))
            row = await cur.fetchone()
        if row is None:
            raise NotFound("Context variable not found")
        if row["secret"]:
            return _variable(row, MASK)
        return _variable(row, json.loads(self._box.decrypt(row["value"], scope_aad(env_id, project_id, key))))

    # ----- writes -----------------------------------------------------------------------------

    async def write(self, env_id: str, project_id: str | None, key: str, value_json: str, *,
                  description: str | None, secret: bool, mode: str = "upsert",
                  updated_by: str | None = None) -> model.ContextVariable:
        """Create (`mode` create: Conflict when set), replace (update: NotFound when unset) or either."""
        self.check_key(key)
        if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
            raise Unprocessable(f"description is longer than {MAX_DESCRIPTION_LENGTH} characters")
        if description is not None and jsonsafe.string_problem(description):
            raise Unprocessable(f"description {jsonsafe.string_problem(description)}")
        stored = self._box.encrypt(self._plaintext(value_json), scope_aad(env_id, project_id, key))
        where, extra = self._scope(project_id)
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(f"SELECT context_id::text AS id FROM hot.context WHERE {where} AND key = %s "
                                     "FOR UPDATE", (env_id, *extra, key))
            current = await cur.fetchone()
            if current is not None and mode == "create":
                raise Conflict(f"Context variable '{key}' already exists")
            if current is None and mode == "update":
                raise NotFound("Context variable not found")
            if current is not None:
                cur = await conn.execute(
                    f"UPDATE hot.context SET value = %s, description = %s, secret = %s, updated_at = now(), "
                    f"updated_by = %s WHERE context_id = %s RETURNING {COLUMNS}",
                    (stored, description, secret, updated_by, current["id"]))
            else:
                cur = await conn.execute(f"SELECT count(*) AS n FROM hot.context WHERE {where}", (env_id, *extra))
                count = int((await cur.fetchone() or {"n": 0})["n"])
                if count >= self._settings.max_keys:
                    raise Unprocessable(f"this scope already has {count} context variables, the limit "
                                        f"(HOT_MAX_CONTEXT_KEYS={self._settings.max_keys})")
                try:
                    cur = await conn.execute(
                        "INSERT INTO hot.context (context_id, env_id, project_id, key, value, secret, description, "
                        f"created_by, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
                        (new_id(), env_id, project_id, key, stored, secret, description, updated_by, updated_by))
                except pg_errors.UniqueViolation:
                    raise Conflict(f"Context variable '{key}' already exists") from None
            row = await cur.fetchone()
        assert row is not None
        return _variable(row)

    async def delete(self, env_id: str, project_id: str | None, key: str) -> None:
        """Soft delete (`active = false`); NotFound when the key is not set."""
        where, extra = self._scope(project_id)
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"UPDATE hot.context SET active = false, updated_at = now() WHERE {where} "
                                     "AND key = %s RETURNING key", (env_id, *extra, key))
            if await cur.fetchone() is None:
                raise NotFound("Context variable not found")

    async def stored_keys(self, env_id: str, project_id: str | None) -> set[str]:
        """Keys set at environment level or for the project (a deploy checks `meta {ctx}` against them)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT key FROM hot.context WHERE env_id = %s AND active "
                                     "AND (project_id IS NULL OR project_id = %s)", (env_id, project_id))
            return {r["key"] for r in await cur.fetchall()}
