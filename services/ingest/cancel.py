"""Run control from the API: cancelling a running or pending-retry run."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from services.core import model
from services.core.db import Pool
from services.core.errors import Conflict
from services.core.model import RunStatus
from services.ingest import store


async def cancel_run(pool: Pool, env_id: str, run_id: str, reason: str) -> model.Run:
    """Record `cancelled` for a run that is `running` or `pending_retry` (guarded), and return it.

    The executor running it learns of the cancel over NATS and stops waiting for it; its late
    result is then refused by the executor's own guarded write, so `cancelled` stands.
    """
    current = await store.get_run(pool, env_id, run_id)  # 404 for unknown runs or other environments
    async with pool.connection() as conn:
        cur = await conn.execute(
            "UPDATE hot.run SET status_id = %s, stop_time = coalesce(stop_time, now()), result = %s, "
            "next_retry_at = NULL WHERE run_id = %s AND env_id = %s AND status_id IN (%s, %s) RETURNING run_id",
            (RunStatus.CANCELLED, Jsonb(model.cancellation_result(reason)), run_id, env_id, RunStatus.RUNNING,
             RunStatus.PENDING_RETRY))
        changed = await cur.fetchone()
    if changed is None:
        raise Conflict(f"Run is already {current.status.label}; only running or pending_retry runs can be cancelled")
    return await store.get_run(pool, env_id, run_id)
