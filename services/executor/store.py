"""The executor's PostgreSQL queries: routing, run lifecycle writes, build sources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from services.core import model
from services.core.db import Pool

CRASH_MESSAGE = "Worker crashed during event processing - event will be retried"


async def load_event(pool: Pool, event_id: str) -> model.Event | None:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT event_id::text, env_id::text, stream_id::text, event_type, event_data, event_time, created_at, "
            "handled, source_run_id::text FROM hot.event WHERE event_id = %s", (event_id,))
        row = await cur.fetchone()
    if row is None:
        return None
    return model.Event(**row)


async def handlers_for(pool: Pool, env_id: str, event_type: str) -> list[model.Handler]:
    """Deployed handlers whose on-event equals `event_type` exactly, ordered by (ns, var)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT eh.event_handler_id::text, eh.build_id::text, b.project_id::text, eh.event_type, eh.ns, "
            "eh.var, eh.meta FROM hot.event_handler eh "
            "JOIN hot.build b ON b.build_id = eh.build_id JOIN hot.project p ON p.project_id = b.project_id "
            "WHERE b.env_id = %s AND b.deployed AND b.active AND b.runtime_status = 'ready' AND p.active "
            "AND eh.event_type = %s ORDER BY eh.ns, eh.var",
            (env_id, event_type),
        )
        return [model.Handler(**row) for row in await cur.fetchall()]


async def deployed_build_ids(pool: Pool, env_id: str) -> list[tuple[str, str]]:
    """(build_id, project_id) of every deployed build in the environment, by project name."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT b.build_id::text, b.project_id::text FROM hot.build b "
            "JOIN hot.project p ON p.project_id = b.project_id "
            "WHERE b.env_id = %s AND b.deployed AND b.active AND p.active ORDER BY p.name", (env_id,))
        return [(r["build_id"], r["project_id"]) for r in await cur.fetchall()]


async def build_files(pool: Pool, build_id: str) -> dict[str, str]:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT files FROM hot.build WHERE build_id = %s", (build_id,))
        row = await cur.fetchone()
    if row is None:
        raise LookupError(f"build {build_id} not found")
    files: dict[str, str] = row["files"]
    return files


async def finished_handler_ids(pool: Pool, event_id: str) -> set[str]:
    """Handlers that already have a terminal or pending-retry run for this event (redelivery)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT DISTINCT event_handler_id::text AS id FROM hot.run WHERE event_id = %s AND status_id <> 1 "
            "AND event_handler_id IS NOT NULL", (event_id,))
        return {row["id"] for row in await cur.fetchall()}


async def has_finished_run(pool: Pool, event_id: str) -> bool:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT 1 FROM hot.run WHERE event_id = %s AND status_id <> 1 LIMIT 1", (event_id,))
        return await cur.fetchone() is not None


async def fail_stale_runs(pool: Pool, event_id: str) -> int:
    """Runs of this event still `running` belong to a crashed delivery: fail them (guarded)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "UPDATE hot.run SET status_id = 3, stop_time = now(), result = %s WHERE event_id = %s AND status_id = 1",
            (Jsonb(model.failure_result(CRASH_MESSAGE)), event_id))
        return cur.rowcount


async def insert_running_run(
    pool: Pool,
    *,
    run_id: str,
    event: model.Event,
    run_type: model.RunType,
    handler: model.Handler | None,
    build_id: str | None,
    project_id: str | None,
    fn_name: str,
) -> model.Run:
    """Insert the `running` row, flag the event handled and count the run on its stream, atomically."""
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "INSERT INTO hot.run (run_id, env_id, stream_id, build_id, project_id, run_type_id, event_id, "
            "event_handler_id, fn_name) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING start_time",
            (run_id, event.env_id, event.stream_id, build_id, project_id, int(run_type), event.event_id,
             handler.event_handler_id if handler else None, fn_name))
        start = (await cur.fetchone() or {})["start_time"]
        await conn.execute("UPDATE hot.event SET handled = true WHERE event_id = %s AND NOT handled",
                           (event.event_id,))
        await conn.execute("UPDATE hot.stream SET total_runs = total_runs + 1, last_activity_at = now() "
                           "WHERE stream_id = %s", (event.stream_id,))
    return model.Run(run_id=run_id, env_id=event.env_id, stream_id=event.stream_id, run_type=run_type,
                     status=model.RunStatus.RUNNING, start_time=start, build_id=build_id, event_id=event.event_id,
                     project_id=project_id, fn_name=fn_name)


async def finish_run(pool: Pool, run: model.Run, status: model.RunStatus,
                     result: Any) -> datetime | None:
    """Write the terminal state. The `status_id = 1` guard means a late or duplicate result
    never overwrites a run that already ended; returns the stop time, or None if the guard refused."""
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "UPDATE hot.run SET status_id = %s, stop_time = now(), result = %s "
            "WHERE run_id = %s AND status_id = 1 RETURNING stop_time",
            (int(status), Jsonb(result) if result is not None else None, run.run_id))
        row = await cur.fetchone()
        if row is None:
            return None
        stop: datetime = row["stop_time"]
        duration_ms = int((stop - run.start_time).total_seconds() * 1000)
        await conn.execute("UPDATE hot.stream SET total_duration_ms = total_duration_ms + %s, "
                           "last_activity_at = now() WHERE stream_id = %s", (max(duration_ms, 0), run.stream_id))
    return stop


async def mark_event_completed(pool: Pool, event_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute("UPDATE hot.event SET completed_at = now() WHERE event_id = %s", (event_id,))
