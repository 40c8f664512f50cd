"""Rows of every kind retention deletes, written straight into a test database with chosen
timestamps, so a test can place each row just before or just after a cutoff."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.core.ids import new_id
from services.core.model import RunStatus
from tests.support.stack import Stack

_UNSET: Any = object()


class AgedRows:
    """Inserts rows of one stack's environment; every method returns the new row's id."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self.env_id = stack.env_id

    async def _exec(self, sql: str, *params: Any) -> None:
        async with self._stack.pool.connection() as conn:
            await conn.execute(sql, params)

    async def stream(self, active_at: datetime) -> str:
        stream_id = new_id()
        await self._exec("INSERT INTO hot.stream (stream_id, env_id, created_at, started_at, last_activity_at) "
                         "VALUES (%s, %s, %s, %s, %s)", stream_id, self.env_id, active_at, active_at, active_at)
        return stream_id

    async def event(self, stream_id: str, created: datetime, *, published: datetime | None = _UNSET,
                    completed: datetime | None = _UNSET, retry_of_run_id: str | None = None) -> str:
        """An event; by default published and completed at `created` (a finished event)."""
        event_id = new_id()
        await self._exec(
            "INSERT INTO hot.event (event_id, env_id, stream_id, event_type, event_data, event_time, created_at, "
            "published_at, completed_at, retry_of_run_id) "
            "VALUES (%s, %s, %s, 'order:placed', '{}', %s, %s, %s, %s, %s)",
            event_id, self.env_id, stream_id, created, created, created if published is _UNSET else published,
            created if completed is _UNSET else completed, retry_of_run_id)
        return event_id

    async def run(self, stream_id: str, status: RunStatus, stopped: datetime | None, *, started: datetime | None = None,
                  event_id: str | None = None, origin_run_id: str | None = None) -> str:
        """A run; a terminal or pending_retry one stopped at `stopped`, a running one has no stop time."""
        run_id = new_id()
        start = started or (stopped - timedelta(seconds=1) if stopped else None)
        await self._exec(
            "INSERT INTO hot.run (run_id, env_id, stream_id, run_type_id, event_id, origin_run_id, start_time, "
            "stop_time, status_id, next_retry_at) VALUES (%s, %s, %s, 2, %s, %s, %s, %s, %s, %s)",
            run_id, self.env_id, stream_id, event_id, origin_run_id, start, stopped, status,
            start if status == RunStatus.PENDING_RETRY else None)
        return run_id

    async def span(self, run_id: str, ended: datetime) -> str:
        span_id = uuid.uuid4().hex[:16]
        await self._exec(
            "INSERT INTO hot.trace_span (span_id, trace_id, run_id, name, kind, start_time, end_time, duration_us, "
            "status) VALUES (%s, %s, %s, 'hot.run', 'internal', %s, %s, 1000, 'ok')",
            span_id, uuid.uuid4().hex, run_id, ended - timedelta(milliseconds=1), ended)
        return span_id

    async def dead_letter(self, event_id: str, created: datetime, *, replayed: datetime | None = None) -> str:
        dead_letter_id = new_id()
        await self._exec(
            "INSERT INTO hot.dead_letter (dead_letter_id, env_id, event_id, deliveries, reason, created_at, "
            "replayed_at, replay_count) VALUES (%s, %s, %s, 3, 'max deliveries', %s, %s, %s)",
            dead_letter_id, self.env_id, event_id, created, replayed, 1 if replayed else 0)
        return dead_letter_id

    async def schedule(self, created: datetime) -> str:
        """A dynamic every-minute schedule (with the project and build it needs)."""
        project_id, build_id, schedule_id = new_id(), new_id(), new_id()
        await self._exec("INSERT INTO hot.project (project_id, env_id, name) VALUES (%s, %s, %s)",
                         project_id, self.env_id, f"p-{project_id[:8]}")
        await self._exec("INSERT INTO hot.build (build_id, project_id, env_id, files, source_hash, deployed) "
                         "VALUES (%s, %s, %s, '{}', 'x', true)", build_id, project_id, self.env_id)
        await self._exec(
            "INSERT INTO hot.schedule (schedule_id, env_id, project_id, build_id, ns, var, cron, cron_normalized, "
            "expression, kind, created_at) VALUES (%s, %s, %s, %s, '::app::tick', 'tick', '* * * * *', "
            "'0 * * * * * *', '* * * * *', 'dynamic', %s)", schedule_id, self.env_id, project_id, build_id, created)
        return schedule_id

    async def fire(self, schedule_id: str, executed: datetime, *, event_id: str | None = None) -> int:
        """A schedule_log row (a fire scheduled and executed at `executed`)."""
        async with self._stack.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO hot.schedule_log (schedule_id, scheduled_time, executed_at, event_id) "
                "VALUES (%s, %s, %s, %s) RETURNING schedule_log_id", (schedule_id, executed, executed, event_id))
            row = await cur.fetchone()
        assert row is not None
        return int(row["schedule_log_id"])

    async def present(self, table: str, key: str, ids: list[Any]) -> set[str]:
        """Which of `ids` are still in `hot.<table>` (compared as text)."""
        rows = await self._stack.rows(f"SELECT {key}::text AS id FROM hot.{table} WHERE {key}::text = ANY(%s)",
                                      [str(i) for i in ids])
        return {r["id"] for r in rows}
