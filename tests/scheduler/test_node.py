"""A scheduler replica in-process (real clock): hand-over versus downtime after a leader change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.scheduler.clock import SystemClock
from services.scheduler.node import SchedulerNode
from services.scheduler.static import sync_static_schedules
from tests.scheduler.conftest import Stack
from tests.scheduler.test_leader import EVERY_SECOND


async def _lead_briefly(stack: Stack, heartbeat_age_s: float, last_fired_age_s: float) -> list[datetime]:
    await stack.deploy({"clock.hot": EVERY_SECOND})
    now = datetime.now(UTC).replace(microsecond=0)
    await sync_static_schedules(stack.pool, now)
    last = now - timedelta(seconds=last_fired_age_s)
    async with stack.pool.connection() as conn:
        await conn.execute("UPDATE hot.schedule SET created_at = %s", (now - timedelta(minutes=30),))
        await conn.execute("INSERT INTO hot.schedule_log (schedule_id, scheduled_time) "
                           "SELECT schedule_id, %s FROM hot.schedule", (last,))
        await conn.execute("UPDATE hot.scheduler_state SET leader_heartbeat_at = %s, last_successful_sync_time = %s",
                           (datetime.now(UTC) - timedelta(seconds=heartbeat_age_s), last))
    node = SchedulerNode(stack.dsn, stack.pool, stack.sink, SystemClock())
    stop = asyncio.Event()
    task = asyncio.create_task(node.run(stop))
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.wait_for(task, 10)
    rows = await stack.rows("SELECT scheduled_time FROM hot.schedule_log WHERE scheduled_time > %s "
                            "ORDER BY scheduled_time", last)
    return [r["scheduled_time"] for r in rows]


async def test_quick_hand_over_fires_what_the_old_leader_left(stack: Stack) -> None:
    fired = await _lead_briefly(stack, heartbeat_age_s=1.0, last_fired_age_s=3.0)
    start = fired[0]
    assert (fired[-1] - start).total_seconds() == len(fired) - 1, "contiguous, no gaps"
    assert start <= datetime.now(UTC) - timedelta(seconds=3), "the seconds since the last fire were caught up"


async def test_after_downtime_missed_fires_are_skipped(stack: Stack) -> None:
    began = datetime.now(UTC)
    fired = await _lead_briefly(stack, heartbeat_age_s=30.0, last_fired_age_s=10.0)
    assert fired and all(t >= began.replace(microsecond=0) for t in fired), "nothing from the downtime"
