"""Due retries: the leader hands `pending_retry` runs whose time has come to ingest (platform-spec §3.4)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.core.ids import new_id
from services.scheduler.clock import ManualClock, SystemClock
from services.scheduler.retries import RetryDispatcher
from tests.support.stack import Stack
from tests.support.waiting import wait_until_async


async def _pending_run(stack: Stack, retry_in_s: float) -> str:
    event_id = await stack.sink.publish(stack.env_id, "order:placed", {"n": 1})
    run_id = new_id()
    async with stack.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO hot.run (run_id, env_id, stream_id, run_type_id, event_id, status_id, retry_attempt, "
            "next_retry_at) SELECT %s, env_id, stream_id, 2, event_id, 5, 1, now() + make_interval(secs => %s) "
            "FROM hot.event WHERE event_id = %s", (run_id, retry_in_s, event_id))
    return run_id


async def _until(predicate: Callable[[], bool], what: str) -> None:
    async def holds() -> bool:
        return predicate()

    await wait_until_async(holds, timeout=10, what=what)


async def test_due_retries_are_enqueued_once_and_only_when_due(stack: Stack) -> None:
    due = await _pending_run(stack, -1)
    later = await _pending_run(stack, 3600)
    dispatcher = RetryDispatcher(stack.pool, stack.sink, SystemClock())
    claimed, upcoming = await dispatcher.loop.claim_due_retries()
    assert claimed == 1 and upcoming is not None and upcoming > datetime.now(UTC)
    assert await dispatcher.loop.claim_due_retries() == (0, upcoming)  # idempotent: nothing left
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, is_leader=lambda: False))
    stop.set()
    await asyncio.wait_for(task, 5)  # a stand-by dispatcher returns as soon as it is stopped
    rows = await stack.rows("SELECT run_id::text, status_id, next_retry_at FROM hot.run")
    status = {r["run_id"]: r["status_id"] for r in rows}
    assert status == {due: 3, later: 5}
    retries = await stack.rows("SELECT retry_of_run_id::text, retry_attempt FROM hot.event "
                               "WHERE retry_of_run_id IS NOT NULL")
    assert retries == [{"retry_of_run_id": due, "retry_attempt": 1}]
    assert dispatcher.loop.enqueued == 1


async def test_the_dispatcher_waits_on_the_injected_clock(stack: Stack) -> None:
    clock = ManualClock(datetime.now(UTC))
    run_id = await _pending_run(stack, 600)
    # A long poll: only the clock reaching the retry time can make the run due.
    dispatcher = RetryDispatcher(stack.pool, stack.sink, clock, poll_s=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, is_leader=lambda: True))
    try:
        await _until(lambda: dispatcher.rounds >= 1, "a first dispatch round")
        assert dispatcher.loop.enqueued == 0  # the first round ran at the clock's time: not due yet
        clock.advance(timedelta(seconds=601))
        await _until(lambda: dispatcher.loop.enqueued == 1, "the retry enqueued")
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    (row,) = await stack.rows("SELECT status_id FROM hot.run WHERE run_id = %s", run_id)
    assert row["status_id"] == 3
