"""One leader among scheduler replicas: a session-level PostgreSQL advisory lock.

The lock lives on a dedicated connection: while that session lives, no other replica can
take it; when the leader process dies, PostgreSQL ends the session and frees the lock, and a
standby (retrying every second) takes over. Short server-side TCP keepalives make a vanished
leader's session end within seconds even when no FIN arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from psycopg import AsyncConnection

log = logging.getLogger(__name__)

LEADER_LOCK = 4849672113597841
"""The advisory lock key upstream's scheduler holds (platform-spec §4.4)."""


async def try_acquire(dsn: str, *, key: int = LEADER_LOCK) -> AsyncConnection[Any] | None:
    """Open a session and try the lock once; returns the session holding it, or None."""
    conn = await AsyncConnection.connect(dsn, autocommit=True, application_name="hot-scheduler-leader")
    try:
        for setting, value in (("tcp_keepalives_idle", "2"), ("tcp_keepalives_interval", "1"),
                               ("tcp_keepalives_count", "2")):
            await conn.execute(f"SET {setting} = {value}")
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cur.fetchone()
        if row is not None and row[0]:
            return conn
    except BaseException:
        await conn.close()
        raise
    await conn.close()
    return None


async def acquire(dsn: str, stop: asyncio.Event, *, key: int = LEADER_LOCK,
                  retry_s: float = 1.0) -> AsyncConnection[Any] | None:
    """Retry every `retry_s` until this process holds the lock (returns its session) or `stop` is set."""
    announced = False
    while not stop.is_set():
        try:
            conn = await try_acquire(dsn, key=key)
        except psycopg.Error as exc:
            log.warning("leader election: database unavailable (%s); retrying", exc)
            conn = None
        if conn is not None:
            return conn
        if not announced:
            log.info("another scheduler is the leader; standing by")
            announced = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=retry_s)
    return None


async def still_held(conn: AsyncConnection[Any]) -> bool:
    """A cheap round trip on the lock's session: False once the session is gone."""
    try:
        await conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return not conn.closed
