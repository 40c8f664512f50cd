"""Reading a run's stored spans (`hot.trace_span`, written by the executor's span store)."""

from __future__ import annotations

from datetime import datetime

from services.core import model
from services.core.db import Pool
from services.core.errors import NotFound


async def load_trace(pool: Pool, env_id: str, run_id: str) -> list[model.TraceSpan]:
    """The spans of a run of ``env_id`` in start order; raises NotFound for an unknown run."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT 1 FROM hot.run WHERE run_id = %s AND env_id = %s", (run_id, env_id))
        if await cur.fetchone() is None:
            raise NotFound("Run not found")
        cur = await conn.execute(
            "SELECT span_id, trace_id, parent_span_id, name, kind, start_time, end_time, duration_us, status, "
            "status_message, attributes, events FROM hot.trace_span WHERE run_id = %s "
            "ORDER BY start_time, span_id", (run_id,))
        rows = await cur.fetchall()
    return [model.TraceSpan(
        span_id=row["span_id"], trace_id=row["trace_id"], parent_span_id=row["parent_span_id"], name=row["name"],
        kind=row["kind"], start_time=row["start_time"], end_time=row["end_time"], duration_us=row["duration_us"],
        status=row["status"], status_message=row["status_message"], attributes=row["attributes"],
        events=[model.SpanEvent(e["name"], datetime.fromisoformat(e["time"]), e.get("attributes") or {})
                for e in row["events"]],
    ) for row in rows]
