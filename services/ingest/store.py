"""Ingest's PostgreSQL queries for events and runs (rows become domain objects in `services.core.rows`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from services.core import db, model
from services.core.db import Pool
from services.core.errors import NotFound
from services.core.ids import new_id
from services.core.rows import EVENT_COLUMNS, RUN_COLUMNS, RUN_FROM, event_from_row, run_from_row


async def insert_event(
    pool: Pool,
    *,
    env_id: str,
    stream_id: str | None,
    event_type: str,
    event_data: Any,
    source_run_id: str | None = None,
    created_by: str | None = None,
    event_time: datetime | None = None,
) -> model.Event:
    """Create the stream if new and insert the event, atomically, in one statement (one round trip).

    A stream id that exists in another environment is reported as not found, so ids of
    other environments cannot be probed: the upsert's WHERE refuses it, and then no event
    row is inserted either.
    """
    params = {"stream_id": stream_id or new_id(), "env_id": env_id, "event_id": new_id(), "event_type": event_type,
              "event_data": Jsonb(event_data), "created_by": created_by, "source_run_id": source_run_id,
              "event_time": event_time}
    async with pool.connection() as conn:
        cur = await conn.execute(
            "WITH s AS ("
            " INSERT INTO hot.stream AS st (stream_id, env_id, total_events) VALUES (%(stream_id)s, %(env_id)s, 1)"
            " ON CONFLICT (stream_id) DO UPDATE SET total_events = st.total_events + 1, last_activity_at = now()"
            " WHERE st.env_id = EXCLUDED.env_id RETURNING stream_id) "
            "INSERT INTO hot.event (event_id, env_id, stream_id, event_type, event_data, event_time, created_by, "
            "source_run_id) SELECT %(event_id)s, %(env_id)s, s.stream_id, %(event_type)s, %(event_data)s, "
            "coalesce(%(event_time)s::timestamptz, now()), "
            f"%(created_by)s, %(source_run_id)s FROM s RETURNING {EVENT_COLUMNS}",
            params,
        )
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Stream not found")
    return event_from_row(row)


async def mark_published(pool: Pool, event_ids: list[str]) -> None:
    async with pool.connection() as conn:
        await conn.execute("UPDATE hot.event SET published_at = now() WHERE event_id = ANY(%s::uuid[]) "
                           "AND published_at IS NULL", (event_ids,))


async def unpublished_events(pool: Pool, older_than: datetime, limit: int = 500) -> list[model.Event]:
    """Events committed before `older_than` whose publish was never acknowledged (the outbox)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM hot.event WHERE published_at IS NULL AND created_at < %s "
            "ORDER BY created_at LIMIT %s",
            (older_than, limit),
        )
        return [event_from_row(row) for row in await cur.fetchall()]


async def get_event(pool: Pool, env_id: str, event_id: str) -> model.Event:
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {EVENT_COLUMNS} FROM hot.event WHERE event_id = %s AND env_id = %s",
                                 (event_id, env_id))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Event not found")
    return event_from_row(row)


async def list_events(pool: Pool, env_id: str, page: model.Page) -> model.PageOf[model.Event]:
    rows, total = await db.fetch_page(pool, select=EVENT_COLUMNS, source="hot.event", where="env_id = %s",
                                      params=(env_id,), order="event_time DESC, event_id DESC",
                                      limit=page.limit, offset=page.offset)
    return model.PageOf([event_from_row(r) for r in rows], total, page)


async def _page_of_runs(pool: Pool, where: str, params: tuple[Any, ...],
                        page: model.Page) -> model.PageOf[model.Run]:
    rows, total = await db.fetch_page(pool, select=RUN_COLUMNS, source=RUN_FROM, where=where, params=params,
                                      order="r.start_time DESC, r.run_id DESC", limit=page.limit,
                                      offset=page.offset)
    return model.PageOf([run_from_row(r) for r in rows], total, page)


async def list_event_runs(pool: Pool, env_id: str, event_id: str,
                          page: model.Page) -> model.PageOf[model.Run]:
    await get_event(pool, env_id, event_id)  # 404 when the event is missing
    return await _page_of_runs(pool, "r.env_id = %s AND r.event_id = %s", (env_id, event_id), page)


async def list_runs(
    pool: Pool,
    env_id: str,
    page: model.Page,
    *,
    status: model.RunStatus | None = None,
    run_type: model.RunType | None = None,
    since_seconds: int = 0,
) -> model.PageOf[model.Run]:
    clauses = ["r.env_id = %s", "r.run_type_id <> %s"]
    params: list[Any] = [env_id, int(model.RunType.TASK)]
    if status is not None:
        clauses.append("r.status_id = %s")
        params.append(int(status))
    if run_type is not None:
        clauses.append("r.run_type_id = %s")
        params.append(int(run_type))
    if since_seconds > 0:
        clauses.append("r.start_time >= now() - make_interval(secs => %s)")
        params.append(since_seconds)
    return await _page_of_runs(pool, " AND ".join(clauses), tuple(params), page)


async def get_run(pool: Pool, env_id: str, run_id: str) -> model.Run:
    async with pool.connection() as conn:
        cur = await conn.execute(f"SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.run_id = %s AND r.env_id = %s",
                                 (run_id, env_id))
        row = await cur.fetchone()
    if row is None:
        raise NotFound("Run not found")
    return run_from_row(row)
