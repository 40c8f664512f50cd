"""PostgreSQL reads behind the Streams service: streams, replay windows, run stats, envs, handlers."""

from __future__ import annotations

from typing import Any

from services.core import db, model
from services.core.db import Pool
from services.core.errors import NotFound
from services.core.ids import parse_uuid
from services.core.model import RunStatus
from services.core.rows import (
    EVENT_COLUMNS,
    RUN_COLUMNS,
    RUN_FROM,
    STREAM_COLUMNS,
    event_from_row,
    run_from_row,
    stream_from_row,
)

REPLAY_LIMIT = 100
"""Runs a (re)connecting subscriber is told about, newest first (platform-spec §5.6)."""


async def get_stream(pool: Pool, env_id: str, stream_id: str) -> model.Stream:
    """The stream, or NotFound when it does not exist in this environment."""
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {STREAM_COLUMNS} FROM hot.stream WHERE stream_id = %s AND env_id = %s",
                                 (stream_id, env_id))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Stream not found")
    return stream_from_row(row)


async def list_streams(pool: Pool, env_id: str, page: model.Page) -> model.PageOf[model.Stream]:
    """Streams of the environment, most recently active first."""
    rows, total = await db.fetch_page(pool, select=STREAM_COLUMNS, source="hot.stream", where="env_id = %s",
                                      params=(env_id,), order="last_activity_at DESC, stream_id DESC",
                                      limit=page.limit, offset=page.offset)
    return model.PageOf([stream_from_row(r) for r in rows], total, page)


async def resolve_project(pool: Pool, env_id: str, project: str) -> str:
    """A project id from an id or a name (the slug); NotFound when neither matches in this env."""
    parsed = parse_uuid(project)
    async with pool.connection() as conn:
        if parsed is not None:
            cur = await conn.execute("SELECT project_id::text AS id FROM hot.project WHERE env_id = %s "
                                     "AND (project_id = %s OR name = %s)", (env_id, str(parsed), project))
        else:
            cur = await conn.execute("SELECT project_id::text AS id FROM hot.project WHERE env_id = %s AND name = %s",
                                     (env_id, project))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Project not found")
    project_id: str = row["id"]
    return project_id


async def stream_runs(pool: Pool, env_id: str, stream_id: str, project_id: str | None = None,
                      limit: int = REPLAY_LIMIT) -> list[model.Run]:
    """The stream's newest runs (task runs included, as upstream does), newest first."""
    where = "r.stream_id = %s AND r.env_id = %s"
    params: list[Any] = [stream_id, env_id]
    if project_id is not None:
        where += " AND r.project_id = %s"
        params.append(project_id)
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE {where} "
                                 "ORDER BY r.start_time DESC, r.run_id DESC LIMIT %s", (*params, limit))
        return [run_from_row(r) for r in await cur.fetchall()]


async def find_run(pool: Pool, run_id: str) -> model.Run | None:
    """A run by id in any environment (live pings carry their env; callers check it)."""
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.run_id = %s", (run_id,))
        row = await cur.fetchone()
    return run_from_row(row) if row else None


async def stream_events(pool: Pool, env_id: str, stream_id: str, limit: int = 100) -> list[model.Event]:
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {EVENT_COLUMNS} FROM hot.event WHERE stream_id = %s AND env_id = %s "
                                 "ORDER BY event_time DESC, event_id DESC LIMIT %s", (stream_id, env_id, limit))
        return [event_from_row(r) for r in await cur.fetchall()]


async def last_error(pool: Pool, env_id: str, stream_id: str) -> str | None:
    """The failure message of the stream's newest failed (or retry-pending) run."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT result FROM hot.run WHERE stream_id = %s AND env_id = %s AND status_id IN (%s, %s) "
            "ORDER BY start_time DESC LIMIT 1", (stream_id, env_id, RunStatus.FAILED, RunStatus.PENDING_RETRY))
        row = await cur.fetchone()
    if row is None:
        return None
    return failure_message(row["result"]) or "failed"


def failure_message(result: Any) -> str | None:
    """`msg` of a stored Failure/Cancellation result (platform-spec §1.5), else None."""
    if isinstance(result, dict):
        val = result.get("$val")
        if isinstance(val, dict) and isinstance(val.get("msg"), str):
            msg: str = val["msg"]
            return msg
    return None


async def run_stats(pool: Pool, env_id: str) -> model.RunStats:
    """Counts by status of the environment's runs (task runs excluded)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) AS total_runs, count(*) FILTER (WHERE status_id = %s) AS running, "
            "count(*) FILTER (WHERE status_id = %s) AS succeeded, count(*) FILTER (WHERE status_id = %s) AS failed, "
            "count(*) FILTER (WHERE status_id = %s) AS cancelled, "
            "count(*) FILTER (WHERE status_id = %s) AS pending_retry "
            "FROM hot.run WHERE env_id = %s AND run_type_id <> %s",
            (RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.PENDING_RETRY,
             env_id, model.RunType.TASK))
        row = await cur.fetchone()
    assert row is not None
    return model.RunStats(**row)


async def get_env(pool: Pool, env_id: str) -> model.Env:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT env_id::text, org_id::text, name, active FROM hot.env WHERE env_id = %s",
                                 (env_id,))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Environment not found")
    return model.Env(**row)


async def deployed_handlers(pool: Pool, env_id: str, project_id: str,
                            page: model.Page) -> model.PageOf[model.Handler]:
    """Handlers of the project's deployed build, by event type, ns, var."""
    where = "b.env_id = %s AND b.project_id = %s AND b.deployed"
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) AS n FROM hot.event_handler eh JOIN hot.build b "
                                 f"ON b.build_id = eh.build_id WHERE {where}", (env_id, project_id))
        total = (await cur.fetchone() or {"n": 0})["n"]
        cur = await conn.execute(
            "SELECT eh.event_handler_id::text, eh.build_id::text, b.project_id::text, eh.event_type, eh.ns, eh.var "
            f"FROM hot.event_handler eh JOIN hot.build b ON b.build_id = eh.build_id WHERE {where} "
            "ORDER BY eh.event_type, eh.ns, eh.var LIMIT %s OFFSET %s", (env_id, project_id, page.limit, page.offset))
        rows = await cur.fetchall()
    return model.PageOf([model.Handler(**r) for r in rows], total, page)
