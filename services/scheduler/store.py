"""Schedule rows in PostgreSQL: creating, cancelling, listing, and loading what the leader times.

Rows become frozen `model.Schedule` objects here (one boundary function, `schedule_from_row`).
Every change that the leader must see is followed by `NOTIFY hot_schedule, '<schedule_id>'`
in the same transaction, so the notification is delivered exactly when the change commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from services.core import model
from services.core.db import Pool
from services.core.errors import NotFound
from services.core.ids import new_id, parse_uuid
from services.scheduler.expressions import Once, Recurring

SCHEDULE_CHANNEL = "hot_schedule"
"""NOTIFY channel: payload is a schedule id whose row changed (created or deactivated)."""

DEPLOY_CHANNEL = "hot_deploy"
"""NOTIFY channel the deploy code signals after a build is deployed (payload ignored)."""

_COLUMNS = ("s.schedule_id::text, s.env_id::text, s.project_id::text, s.build_id::text, s.ns, s.var, s.cron, "
            "s.cron_normalized, s.expression, s.kind, s.run_at, s.args, s.active, s.created_at, "
            "s.deactivated_at, s.next_fire_at")

# A schedule may fire only while its build is the deployed, active, ready build of an active project.
DEPLOYED = ("EXISTS (SELECT 1 FROM hot.build b JOIN hot.project p ON p.project_id = b.project_id "
            "WHERE b.build_id = s.build_id AND b.deployed AND b.active AND b.runtime_status = 'ready' "
            "AND p.active)")


def schedule_from_row(row: dict[str, Any]) -> model.Schedule:
    return model.Schedule(
        schedule_id=row["schedule_id"], env_id=row["env_id"], project_id=row["project_id"],
        build_id=row["build_id"], ns=row["ns"], var=row["var"], cron=row["cron"],
        cron_normalized=row["cron_normalized"], expression=row["expression"], kind=row["kind"],
        run_at=row["run_at"], args=row["args"], active=row["active"], created_at=row["created_at"],
        deactivated_at=row["deactivated_at"], next_fire_at=row["next_fire_at"],
    )


def split_fn(fn: str) -> tuple[str, str] | None:
    """`"::app::math/add"` → (`"::app::math"`, `"add"`), split on the last '/'; None if malformed."""
    ns, sep, var = fn.strip().rpartition("/")
    if not sep or not ns or not var or not ns.startswith("::"):
        return None
    return ns, var


async def resolve_project(pool: Pool, env_id: str, project: str) -> str:
    """A project id from an id or a name within the environment."""
    as_id = parse_uuid(project)
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT project_id::text FROM hot.project WHERE env_id = %s AND (name = %s OR project_id = %s)",
            (env_id, project, str(as_id) if as_id else None))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Project not found")
    return str(row["project_id"])


async def resolve_build(pool: Pool, env_id: str, build_id: str, project: str) -> tuple[str, str]:
    """(build_id, project_id): the given build of the env, or else the deployed build of `project`."""
    if build_id:
        parsed = parse_uuid(build_id)
        if parsed is None:
            raise NotFound("Build not found")
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT project_id::text FROM hot.build WHERE build_id = %s AND env_id = %s",
                                     (str(parsed), env_id))
            row = await cur.fetchone()
        if row is None:
            raise NotFound("Build not found")
        return str(parsed), str(row["project_id"])
    project_id = await resolve_project(pool, env_id, project)
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT build_id::text FROM hot.build WHERE project_id = %s AND deployed",
                                 (project_id,))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Project has no deployed build")
    return str(row["build_id"]), project_id


async def _notify(conn: AsyncConnection[Any], schedule_ids: list[str]) -> None:
    for schedule_id in schedule_ids:
        await conn.execute("SELECT pg_notify(%s, %s)", (SCHEDULE_CHANNEL, schedule_id))


async def create_dynamic(pool: Pool, *, env_id: str, project_id: str, build_id: str, ns: str, var: str,
                         parsed: Once | Recurring, args: list[Any] | None,
                         next_fire_at: datetime | None) -> model.Schedule:
    """Insert a dynamic (recurring) or one-time schedule bound to `build_id`."""
    once = isinstance(parsed, Once)
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "INSERT INTO hot.schedule AS s (schedule_id, env_id, project_id, build_id, ns, var, cron, "
            "cron_normalized, expression, kind, run_at, args, next_fire_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING " + _COLUMNS,
            (new_id(), env_id, project_id, build_id, ns, var, parsed.cron if isinstance(parsed, Once) else parsed.text,
             None if isinstance(parsed, Once) else parsed.cron, parsed.text, "once" if once else "dynamic",
             parsed.run_at if isinstance(parsed, Once) else None, Jsonb(args) if args else None, next_fire_at))
        row = await cur.fetchone()
        assert row is not None
        await _notify(conn, [row["schedule_id"]])
    return schedule_from_row(row)


async def _deactivate(pool: Pool, where: str, params: tuple[Any, ...]) -> list[str]:
    # The UPDATE waits for a fire holding the row (FOR SHARE) to commit; once this commits,
    # every later fire reads active = false. That is what "never fires after cancel" rests on.
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "UPDATE hot.schedule s SET active = false, deactivated_at = now(), next_fire_at = NULL "
            "WHERE s.active AND " + where + " RETURNING s.schedule_id::text", params)
        ids = [r["schedule_id"] for r in await cur.fetchall()]
        await _notify(conn, ids)
    return ids


async def cancel_by_id(pool: Pool, env_id: str, schedule_id: str) -> list[str]:
    """Deactivate one schedule of the environment (any kind); returns the ids changed (0 or 1)."""
    return await _deactivate(pool, "s.env_id = %s AND s.schedule_id = %s", (env_id, schedule_id))


async def cancel_by_fn(pool: Pool, env_id: str, build_id: str, ns: str, var: str) -> list[str]:
    """Deactivate every active schedule of one function in one build (static included)."""
    return await _deactivate(pool, "s.env_id = %s AND s.build_id = %s AND s.ns = %s AND s.var = %s",
                             (env_id, build_id, ns, var))


async def get_schedule(pool: Pool, env_id: str, schedule_id: str) -> model.Schedule:
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {_COLUMNS} FROM hot.schedule s WHERE s.env_id = %s AND s.schedule_id = %s",
                                 (env_id, schedule_id))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Schedule not found")
    return schedule_from_row(row)


async def list_for_project(pool: Pool, env_id: str, project_id: str, page: model.Page) -> model.PageOf[model.Schedule]:
    """Schedules of the project's deployed build, active or not, ordered by cron, ns, var."""
    where = ("s.env_id = %s AND s.build_id = (SELECT build_id FROM hot.build WHERE project_id = %s AND deployed)")
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) AS n FROM hot.schedule s WHERE {where}", (env_id, project_id))
        total = int((await cur.fetchone() or {"n": 0})["n"])
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM hot.schedule s WHERE {where} "
            "ORDER BY s.cron, s.ns, s.var, s.schedule_id LIMIT %s OFFSET %s",
            (env_id, project_id, page.limit, page.offset))
        rows = await cur.fetchall()
    return model.PageOf([schedule_from_row(r) for r in rows], total, page)


@dataclass(frozen=True)
class Timed:
    """An active schedule as the leader loads it, with the last time it fired (if ever)."""

    schedule: model.Schedule
    last_fired: datetime | None


async def load_active(pool: Pool, schedule_ids: list[str] | None = None) -> list[Timed]:
    """Active schedules of deployed builds (all, or only the given ids), with their last fire time."""
    where = f"s.active AND {DEPLOYED}"
    params: tuple[Any, ...] = ()
    if schedule_ids is not None:
        where += " AND s.schedule_id = ANY(%s::uuid[])"
        params = (schedule_ids,)
    async with pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT {_COLUMNS}, (SELECT max(l.scheduled_time) FROM hot.schedule_log l "
            f"WHERE l.schedule_id = s.schedule_id) AS last_fired FROM hot.schedule s WHERE {where}", params)
        rows = await cur.fetchall()
    return [Timed(schedule_from_row(r), r["last_fired"]) for r in rows]


async def count_active(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) AS n FROM hot.schedule s WHERE s.active AND {DEPLOYED}")
        return int((await cur.fetchone() or {"n": 0})["n"])
