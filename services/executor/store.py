"""The executor's PostgreSQL queries: routing, run lifecycle writes, build sources."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from services.core import model
from services.core.db import Pool
from services.core.model import RunStatus
from services.core.rows import EVENT_COLUMNS, event_from_row

CRASH_MESSAGE = "Worker crashed during event processing - event will be retried"


async def load_event(pool: Pool, event_id: str) -> model.Event | None:
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {EVENT_COLUMNS} FROM hot.event WHERE event_id = %s", (event_id,))
        row = await cur.fetchone()
    return event_from_row(row) if row is not None else None


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


async def handler_by_id(pool: Pool, handler_id: str) -> model.Handler | None:
    """A handler by id, deployed or not: a retry runs the handler of the build that failed."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT eh.event_handler_id::text, eh.build_id::text, b.project_id::text, eh.event_type, eh.ns, "
            "eh.var, eh.meta FROM hot.event_handler eh JOIN hot.build b ON b.build_id = eh.build_id "
            "WHERE eh.event_handler_id = %s", (handler_id,))
        row = await cur.fetchone()
    return model.Handler(**row) if row else None


async def deployed_build_ids(pool: Pool, env_id: str) -> list[tuple[str, str]]:
    """(build_id, project_id) of every deployed build in the environment, by project name."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT b.build_id::text, b.project_id::text FROM hot.build b "
            "JOIN hot.project p ON p.project_id = b.project_id "
            "WHERE b.env_id = %s AND b.deployed AND b.active AND p.active ORDER BY p.name", (env_id,))
        return [(r["build_id"], r["project_id"]) for r in await cur.fetchall()]


async def all_deployed_build_ids(pool: Pool) -> list[str]:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT b.build_id::text FROM hot.build b JOIN hot.project p "
                                 "ON p.project_id = b.project_id WHERE b.deployed AND b.active AND p.active")
        return [row["build_id"] for row in await cur.fetchall()]


async def build_project(pool: Pool, env_id: str, build_id: str) -> str | None:
    """The project of a build in this environment (None if there is no such build)."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT project_id::text FROM hot.build WHERE build_id = %s AND env_id = %s",
                                 (build_id, env_id))
        row = await cur.fetchone()
    return row["project_id"] if row else None


async def build_files(pool: Pool, build_id: str) -> dict[str, str]:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT files FROM hot.build WHERE build_id = %s", (build_id,))
        row = await cur.fetchone()
    if row is None:
        raise LookupError(f"build {build_id} not found")
    files: dict[str, str] = row["files"]
    return files


async def finished_handler_ids(pool: Pool, event_id: str) -> set[str]:
    """Handlers whose run for this event ended on its own (redelivery skips them). Runs failed by
    crash reconciliation (`info.crashed`) do not count: their handler runs again."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT DISTINCT event_handler_id::text AS id FROM hot.run WHERE event_id = %s AND status_id <> %s "
            "AND event_handler_id IS NOT NULL AND NOT coalesce(info ? 'crashed', false)", (event_id, RunStatus.RUNNING))
        return {row["id"] for row in await cur.fetchall()}


async def has_finished_run(pool: Pool, event_id: str) -> bool:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT 1 FROM hot.run WHERE event_id = %s AND status_id <> %s "
                                 "AND NOT coalesce(info ? 'crashed', false) LIMIT 1", (event_id, RunStatus.RUNNING))
        return await cur.fetchone() is not None


async def fail_stale_runs(pool: Pool, event_id: str) -> int:
    """Runs of this event still `running` belong to a crashed delivery: fail them (guarded)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "UPDATE hot.run SET status_id = %s, stop_time = now(), result = %s, "
            "info = coalesce(info, '{}'::jsonb) || '{\"crashed\": true}'::jsonb WHERE event_id = %s AND status_id = %s",
            (RunStatus.FAILED, Jsonb(model.failure_result(CRASH_MESSAGE)), event_id, RunStatus.RUNNING))
        return cur.rowcount


async def mark_event_completed(pool: Pool, event_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute("UPDATE hot.event SET completed_at = now() WHERE event_id = %s", (event_id,))
