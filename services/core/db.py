"""PostgreSQL access: the async connection pool and numbered SQL migrations.

Migrations are the files `migrations/NNNN_name.sql`, applied in order on start-up by
every service (and by `hot dev` before it starts them). A transaction-scoped advisory
lock serialises concurrent starters, so two services booting at once never race.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

Pool = AsyncConnectionPool[AsyncConnection[dict[str, Any]]]
"""The async pool type every service uses: connections yield rows as dicts."""

_MIGRATION_LOCK = 4849672113597840  # advisory lock key reserved for migrations
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migration_files() -> list[tuple[int, str, str]]:
    """Every migration shipped with the package as (version, file name, SQL), in order."""
    found = []
    for entry in resources.files("services.core.migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return found


def migrate(dsn: str) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied now."""
    applied_now: list[int] = []
    with psycopg.connect(dsn, autocommit=False) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS public.hot_schema_migrations ("
                     "version integer PRIMARY KEY, name text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM public.hot_schema_migrations")}
        for version, name, sql in migration_files():
            if version in done:
                continue
            log.info("applying migration %s", name)
            conn.execute(sql.encode())
            conn.execute("INSERT INTO public.hot_schema_migrations (version, name) VALUES (%s, %s)",
                         (version, name))
            applied_now.append(version)
    return applied_now


async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> Pool:
    """Open an async pool whose connections return rows as dicts."""
    pool: Pool = AsyncConnectionPool(dsn, connection_class=AsyncConnection[dict[str, Any]], min_size=min_size,
                                     max_size=max_size, open=False,
                                     kwargs={"row_factory": dict_row, "autocommit": True})
    await pool.open(wait=True, timeout=30)
    return pool


Row = dict[str, Any]


async def fetch_page(pool: Pool, *, select: str, source: str, where: str, params: tuple[Any, ...], order: str,
                     limit: int, offset: int) -> tuple[list[Row], int]:
    """One page of `SELECT {select} FROM {source} WHERE {where} ORDER BY {order}` and the total row count."""
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) AS n FROM {source} WHERE {where}", params)
        total = int((await cur.fetchone() or {"n": 0})["n"])
        cur = await conn.execute(f"SELECT {select} FROM {source} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                                 (*params, limit, offset))
        return await cur.fetchall(), total
