"""Enqueueing the next attempt of a failed run (platform-spec §3.4, with the sibling-isolation divergence).

Called by the scheduler's leader for each due `pending_retry` run. In one transaction the
run is locked, a retry copy of its event is inserted (same type, data and stream; the one
handler to run; the attempt number) and the run becomes `failed`; the copy is published
after commit like any event. A run no longer `pending_retry` is left alone, so calling
twice never enqueues twice.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from services.core import model
from services.core.db import Pool
from services.core.ids import new_id
from services.core.model import RunStatus
from services.core.rows import EVENT_COLUMNS, event_from_row


async def enqueue_retry(pool: Pool, run_id: str) -> model.Event | None:
    """Create the retry event of a due `pending_retry` run; None when there is nothing to do."""
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "SELECT r.run_id::text, r.env_id::text, r.stream_id::text, r.event_handler_id::text, r.retry_attempt, "
            "e.event_type, e.event_data FROM hot.run r LEFT JOIN hot.event e ON e.event_id = r.event_id "
            "WHERE r.run_id = %s AND r.status_id = %s FOR UPDATE OF r", (run_id, RunStatus.PENDING_RETRY))
        row = await cur.fetchone()
        if row is None:
            return None
        # The attempt's own row ends `failed` (its result stays); the next attempt is a new run.
        await conn.execute("UPDATE hot.run SET status_id = %s, next_retry_at = NULL WHERE run_id = %s",
                           (RunStatus.FAILED, run_id))
        if row["event_type"] is None:
            return None  # the original event is gone: nothing to retry
        await conn.execute("UPDATE hot.stream SET total_events = total_events + 1, last_activity_at = now() "
                           "WHERE stream_id = %s", (row["stream_id"],))
        cur = await conn.execute(
            "INSERT INTO hot.event (event_id, env_id, stream_id, event_type, event_data, event_time, created_by, "
            "retry_of_run_id, target_handler_id, retry_attempt) "
            f"VALUES (%s, %s, %s, %s, %s, now(), 'retry', %s, %s, %s) RETURNING {EVENT_COLUMNS}",
            (new_id(), row["env_id"], row["stream_id"], row["event_type"], Jsonb(row["event_data"]), run_id,
             row["event_handler_id"], row["retry_attempt"]))
        created = await cur.fetchone()
    assert created is not None
    return event_from_row(created)
