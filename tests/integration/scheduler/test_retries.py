"""Due retries: the leader hands `pending_retry` runs whose time has come to ingest (platform-spec §3.4)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import grpc

from services.core.ids import new_id
from services.core.pb import hot_ingest_pb2_grpc as ingest_grpc
from services.scheduler.clock import SystemClock
from services.scheduler.retries import RetryDispatcher
from tests.support.stack import Stack


async def _pending_run(stack: Stack, retry_in_s: float) -> str:
    event_id = await stack.sink.publish(stack.env_id, "order:placed", {"n": 1})
    run_id = new_id()
    async with stack.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO hot.run (run_id, env_id, stream_id, run_type_id, event_id, status_id, retry_attempt, "
            "next_retry_at) SELECT %s, env_id, stream_id, 2, event_id, 5, 1, now() + make_interval(secs => %s) "
            "FROM hot.event WHERE event_id = %s", (run_id, retry_in_s, event_id))
    return run_id


async def test_due_retries_are_enqueued_once_and_only_when_due(stack: Stack) -> None:
    due = await _pending_run(stack, -1)
    later = await _pending_run(stack, 3600)
    channel = grpc.aio.insecure_channel(stack.ingest_addr)
    try:
        dispatcher = RetryDispatcher(stack.pool, ingest_grpc.IngestStub(channel), SystemClock())
        claimed, upcoming = await dispatcher.loop.claim_due_retries()
        assert claimed == 1 and upcoming is not None and upcoming > datetime.now(UTC)
        assert await dispatcher.loop.claim_due_retries() == (0, upcoming)  # idempotent: nothing left
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop, is_leader=lambda: False))
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 5)
    finally:
        await channel.close()
    rows = await stack.rows("SELECT run_id::text, status_id, next_retry_at FROM hot.run")
    status = {r["run_id"]: r["status_id"] for r in rows}
    assert status == {due: 3, later: 5}
    retries = await stack.rows("SELECT retry_of_run_id::text, retry_attempt FROM hot.event "
                               "WHERE retry_of_run_id IS NOT NULL")
    assert retries == [{"retry_of_run_id": due, "retry_attempt": 1}]
    assert dispatcher.loop.enqueued == 1
