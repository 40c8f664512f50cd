"""Static schedules: functions with `meta {schedule: "..."}` in deployed builds become schedule rows.

The scheduler discovers them itself: each deployed build is read once (its sources loaded in a
sandbox worker process, under the load time limit and the memory limit), its schedules
registered and the build marked in `hot.schedule_build_sync`. Rows of builds that are no longer
deployed are deactivated, so a redeploy replaces the old build's schedules (dynamic ones too, as upstream does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from hotlang import FunctionInfo
from services.core.db import Pool
from services.core.ids import new_id
from services.sandbox.pool import LoadFailed, WorkerPool
from services.scheduler.cron import next_fire_after
from services.scheduler.expressions import Recurring, ScheduleError, parse_recurring
from services.scheduler.store import DEPLOYED, SCHEDULE_CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaticSchedule:
    ns: str
    var: str
    schedule: Recurring
    meta: Any


@dataclass
class Discovery:
    schedules: list[StaticSchedule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def find_static_schedules(sandbox: WorkerPool, build_id: str, files: dict[str, str]) -> Discovery:
    """Every `meta {schedule: …}` of the build (a string, or a list of strings), parsed."""
    try:
        functions = await sandbox.inspect(build_id, files)
    except LoadFailed as err:
        return Discovery(errors=[str(err)])
    return schedules_of(functions)


def schedules_of(functions: list[FunctionInfo]) -> Discovery:
    """The static schedules declared in the meta of a build's functions."""
    found = Discovery()
    for fn in functions:
        meta = fn.meta if isinstance(fn.meta, dict) else {}
        raw = meta.get("schedule")
        if raw is None:
            continue
        texts = raw if isinstance(raw, list) else [raw]
        for text in texts:
            if not isinstance(text, str):
                found.errors.append(f"{fn.qualified}: meta schedule must be a string")
                continue
            try:
                found.schedules.append(StaticSchedule(fn.ns, fn.name, parse_recurring(text), meta))
            except ScheduleError as err:
                found.errors.append(f"{fn.qualified}: {err}")
    return found


@dataclass(frozen=True)
class SyncResult:
    registered: list[str]
    deactivated: list[str]


async def sync_static_schedules(pool: Pool, now: datetime, sandbox: WorkerPool) -> SyncResult:
    """Register the schedules of newly deployed builds; deactivate those of undeployed ones.

    Idempotent and safe to run from several processes at once (every insert is ON CONFLICT).
    """
    registered: list[str] = []
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT b.build_id::text, b.project_id::text, b.env_id::text, b.files FROM hot.build b "
            "JOIN hot.project p ON p.project_id = b.project_id "
            "WHERE b.deployed AND b.active AND b.runtime_status = 'ready' AND p.active "
            "AND NOT EXISTS (SELECT 1 FROM hot.schedule_build_sync y WHERE y.build_id = b.build_id)")
        builds = await cur.fetchall()
    for build in builds:
        discovery = await find_static_schedules(sandbox, build["build_id"], build["files"])
        for problem in discovery.errors:
            log.warning("build %s: %s", build["build_id"], problem)
        async with pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "INSERT INTO hot.schedule_build_sync (build_id, error) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING RETURNING build_id", (build["build_id"], "\n".join(discovery.errors) or None))
            if await cur.fetchone() is None:
                continue  # another replica registered this build meanwhile
            for item in discovery.schedules:
                nxt = next_fire_after(item.schedule.compiled(), now)
                cur = await conn.execute(
                    "INSERT INTO hot.schedule (schedule_id, env_id, project_id, build_id, ns, var, cron, "
                    "cron_normalized, expression, kind, meta, next_fire_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'static', %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING schedule_id::text",
                    (new_id(), build["env_id"], build["project_id"], build["build_id"], item.ns, item.var,
                     item.schedule.text, item.schedule.cron, item.schedule.text, Jsonb(item.meta), nxt))
                row = await cur.fetchone()
                if row is not None:
                    registered.append(row["schedule_id"])
                    await conn.execute("SELECT pg_notify(%s, %s)", (SCHEDULE_CHANNEL, row["schedule_id"]))
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "UPDATE hot.schedule s SET active = false, deactivated_at = now(), next_fire_at = NULL "
            f"WHERE s.active AND NOT {DEPLOYED} RETURNING s.schedule_id::text")
        deactivated = [r["schedule_id"] for r in await cur.fetchall()]
        for schedule_id in deactivated:
            await conn.execute("SELECT pg_notify(%s, %s)", (SCHEDULE_CHANNEL, schedule_id))
    return SyncResult(registered, deactivated)


async def mark_synced(pool: Pool, now: datetime) -> datetime | None:
    """Record a successful sync; returns the previous sync time (backfill's window start)."""
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute("SELECT last_successful_sync_time FROM hot.scheduler_state "
                                 "WHERE scheduler_id = 'main' FOR UPDATE")
        row = await cur.fetchone()
        await conn.execute("UPDATE hot.scheduler_state SET last_successful_sync_time = %s, updated_at = now() "
                           "WHERE scheduler_id = 'main'", (now,))
    return row["last_successful_sync_time"] if row else None
