"""A scheduler replica in-process, on a manual clock: hand-over versus downtime after a leader change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.scheduler.clock import ManualClock
from services.scheduler.firing import FiringLoop
from services.scheduler.node import SchedulerNode
from services.scheduler.static import sync_static_schedules
from tests.support.sources import EVERY_SECOND
from tests.support.stack import Stack
from tests.support.waiting import wait_until_async


async def _lead_briefly(stack: Stack, heartbeat_age_s: float,
                        last_fired_age_s: float) -> tuple[datetime, list[datetime]]:
    """Take over leadership at `now`, let the firing loop catch up, then move the clock one second.

    Returns `now` and the fires logged after the previous leader's last one."""
    await stack.deploy({"clock.hot": EVERY_SECOND})
    now = datetime.now(UTC).replace(microsecond=0)
    await sync_static_schedules(stack.pool, now, stack.sandbox)
    last = now - timedelta(seconds=last_fired_age_s)
    async with stack.pool.connection() as conn:
        await conn.execute("UPDATE hot.schedule SET created_at = %s", (now - timedelta(minutes=30),))
        await conn.execute("INSERT INTO hot.schedule_log (schedule_id, scheduled_time) "
                           "SELECT schedule_id, %s FROM hot.schedule", (last,))
        await conn.execute("UPDATE hot.scheduler_state SET leader_heartbeat_at = %s, last_successful_sync_time = %s",
                           (now - timedelta(seconds=heartbeat_age_s), last))
    clock = ManualClock(now)
    node = SchedulerNode(stack.dsn, stack.pool, stack.sink, clock, sandbox=stack.sandbox)
    stop = asyncio.Event()
    task = asyncio.create_task(node.run(stop))
    try:
        async def leading() -> FiringLoop | None:
            return node.loop

        loop = await wait_until_async(leading, 10, what="leadership")
        await asyncio.wait_for(loop.settle(), 10)  # everything due at `now` is fired
        clock.advance(timedelta(seconds=1))
        await asyncio.wait_for(loop.settle(), 10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    rows = await stack.rows("SELECT scheduled_time FROM hot.schedule_log WHERE scheduled_time > %s "
                            "ORDER BY scheduled_time", last)
    return now, [r["scheduled_time"] for r in rows]


async def test_quick_hand_over_fires_what_the_old_leader_left(stack: Stack) -> None:
    now, fired = await _lead_briefly(stack, heartbeat_age_s=1.0, last_fired_age_s=3.0)
    assert fired[0] == now - timedelta(seconds=2), "the seconds since the old leader's last fire were caught up"
    assert fired == [fired[0] + timedelta(seconds=i) for i in range(len(fired))], "contiguous, no gaps"
    assert fired[-1] == now + timedelta(seconds=1)


async def test_after_downtime_missed_fires_are_skipped(stack: Stack) -> None:
    now, fired = await _lead_briefly(stack, heartbeat_age_s=30.0, last_fired_age_s=10.0)
    assert fired, "the new leader fires"
    assert all(t >= now for t in fired), "nothing from the downtime"
    assert fired[-1] == now + timedelta(seconds=1)
