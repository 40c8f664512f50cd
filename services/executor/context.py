"""A run's context: rows from PostgreSQL, decrypted, cached briefly per scope (`HOT_CONTEXT_CACHE_TTL`).

A row that fails to decrypt or parse is skipped with a warning naming the key, never its value.
The dev context (`HOT_DEV_CONTEXT_FILE`, JSON written by `hot dev` from `hot/ctx.hot`) is the
lowest layer; it is read again whenever the file changes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from services.core.context import CtxDecl, RunContextValues, StoredVar, layer
from services.core.db import Pool
from services.core.secretbox import DecryptError, SecretBox, scope_aad

log = logging.getLogger(__name__)


class ContextLoader:
    """Loads and layers a run's context (`services.core.context.layer`)."""

    def __init__(self, pool: Pool, box: SecretBox, *, ttl_s: float = 1.0, dev_file: str = "") -> None:
        self._pool = pool
        self._box = box
        self._ttl = ttl_s
        self._dev_file = Path(dev_file) if dev_file else None
        self._dev_stamp: tuple[int, int] | None = None
        self._dev: list[StoredVar] = []
        self._cache: dict[tuple[str, str | None], tuple[float, list[StoredVar]]] = {}

    async def for_run(self, env_id: str, project_id: str | None, decls: dict[str, CtxDecl]) -> RunContextValues:
        self._refresh_dev()
        env_rows = await self._rows(env_id, None)
        project_rows = await self._rows(env_id, project_id) if project_id else []
        return layer(self._dev, env_rows, project_rows, decls)

    async def _rows(self, env_id: str, project_id: str | None) -> list[StoredVar]:
        key = (env_id, project_id)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self._pool.connection() as conn:
            if project_id is None:
                cur = await conn.execute("SELECT key, value, secret FROM hot.context WHERE env_id = %s "
                                         "AND project_id IS NULL AND active ORDER BY key", (env_id,))
            else:
                cur = await conn.execute("SELECT key, value, secret FROM hot.context WHERE project_id = %s "
                                         "AND env_id = %s AND active ORDER BY key", (project_id, env_id))
            rows = await cur.fetchall()
        loaded = list(self._decrypted(env_id, project_id, rows))
        if self._ttl > 0:
            self._cache[key] = (now + self._ttl, loaded)
            if len(self._cache) > 10_000:
                self._cache.clear()
        return loaded

    def _refresh_dev(self) -> None:
        if self._dev_file is None:
            return
        try:
            info = self._dev_file.stat()
        except OSError:
            self._dev, self._dev_stamp = [], None
            return
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != self._dev_stamp:
            try:
                self._dev = dev_context(self._dev_file.read_text())
            except OSError as err:
                log.warning("dev context file not read: %s", err)
                self._dev = []
            self._dev_stamp = stamp

    def _decrypted(self, env_id: str, project_id: str | None, rows: Iterable[dict[str, Any]]) -> Iterable[StoredVar]:
        for row in rows:
            try:
                plain = self._box.decrypt(row["value"], scope_aad(env_id, project_id, row["key"]))
                value = json.loads(plain)
            except (DecryptError, ValueError) as err:
                log.warning("context variable %r skipped: %s", row["key"], err)
                continue
            yield StoredVar(row["key"], value, bool(row["secret"]))


def dev_context(text: str) -> list[StoredVar]:
    """The dev context file's text parsed: `{"values": {...}, "secret_keys": [...]}`, or nothing."""
    if not text.strip():
        return []
    try:
        parsed = json.loads(text)
    except ValueError:
        log.warning("the dev context file is not JSON; the dev context is empty")
        return []
    values = parsed.get("values") if isinstance(parsed, dict) else None
    if not isinstance(values, dict):
        return []
    secret = set(parsed.get("secret_keys") or [])
    return [StoredVar(str(k), v, k in secret) for k, v in values.items()]
