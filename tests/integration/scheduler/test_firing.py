"""Schedules against real PostgreSQL, NATS and ingest, with an injected clock (platform-spec §10, 27–34)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_scheduler_pb2 as pb
from services.scheduler.clock import ManualClock
from services.scheduler.firing import FiringLoop
from services.scheduler.static import sync_static_schedules
from tests.support.sources import JOBS, MATH
from tests.support.stack import Stack


def start_clock() -> ManualClock:
    """A manual clock just after the current real second (DB `created_at` values are real time)."""
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    if now.second % 2:
        now += timedelta(seconds=1)
    return ManualClock(now + timedelta(milliseconds=100))


@asynccontextmanager
async def running(stack: Stack, clock: ManualClock, *, backfill: bool = False,
                  resume_after: datetime | None = None,
                  previous_sync: datetime | None = None) -> AsyncIterator[FiringLoop]:
    loop = FiringLoop(stack.pool, stack.sink, clock, backfill=backfill)
    await loop.load(resume_after=resume_after or clock.now(), previous_sync=previous_sync)
    task = asyncio.create_task(loop.run())
    try:
        settled = asyncio.ensure_future(loop.settle())
        await asyncio.wait([task, settled], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert settled.done(), "the firing loop did not settle"
        yield loop
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def tick(clock: ManualClock, loop: FiringLoop, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
    await asyncio.wait_for(loop.settle(), 10)


async def changed(loop: FiringLoop, schedule_id: str) -> None:
    """What the leader's LISTEN on hot_schedule does (tests run the loop without a leader)."""
    loop.schedule_changed(schedule_id)
    await asyncio.wait_for(loop.settle(), 10)


async def test_static_cron_fires_every_two_seconds_each_in_a_new_stream(stack: Stack) -> None:
    build_id = await stack.deploy({"jobs.hot": JOBS})
    clock = start_clock()
    await sync_static_schedules(stack.pool, clock.now(), stack.sandbox)
    async with running(stack, clock) as loop:
        assert await stack.schedule_events() == []
        for _ in range(3):
            await tick(clock, loop, 2)
    events = await stack.schedule_events()
    assert len(events) == 3
    assert len({e["stream_id"] for e in events}) == 3, "every fire starts a new stream"
    (tick_row,) = await stack.rows("SELECT schedule_id::text FROM hot.schedule WHERE var = 'tick'")
    times = []
    for event in events:
        data = event["event_data"]
        assert data["fn"] == "::app::jobs/tick" and data["build_id"] == build_id
        (arg,) = data["args"]
        assert arg["type"] == "hot:schedule" and arg["schedule_id"] == tick_row["schedule_id"]
        assert arg["is_backfill"] is False and arg["backfilled_at"] is None
        times.append(datetime.fromisoformat(arg["scheduled_at"]))
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [2.0, 2.0]
    logged = await stack.rows("SELECT event_id::text, scheduled_time FROM hot.schedule_log ORDER BY scheduled_time")
    assert [r["scheduled_time"] for r in logged] == times
    assert {r["event_id"] for r in logged} == {e["event_id"] for e in events}


async def test_static_schedules_are_listed_as_written_and_replaced_on_redeploy(stack: Stack) -> None:
    first = await stack.deploy({"jobs.hot": JOBS})
    async with stack.scheduler_server() as server:
        listed = await server.stub.ListSchedules(pb.ListSchedulesRequest(env_id=stack.env_id, project="app"))
        assert [(s.cron, s.ns, s.var, s.build_id) for s in listed.schedules] == [
            ("*/2 * * * * *", "::app::jobs", "tick", first),
            ("every day at 9:00 am", "::app::jobs", "morning", first),
        ]
        morning = listed.schedules[1]
        assert morning.cron_normalized == "0 0 9 */1 * ? *" and morning.kind == pb.SCHEDULE_KIND_STATIC
        assert morning.HasField("next_fire_at") and listed.page.total == 2
        second = await stack.deploy({"jobs.hot": JOBS.replace("*/2 * * * * *", "*/5 * * * * *")})
        listed = await server.stub.ListSchedules(pb.ListSchedulesRequest(
            env_id=stack.env_id, project="app", page=common_pb.PageRequest(limit=1)))
        assert [(s.cron, s.build_id) for s in listed.schedules] == [("*/5 * * * * *", second)]
        assert listed.page.has_more
    old = await stack.rows("SELECT active FROM hot.schedule WHERE build_id = %s", first)
    assert old and not any(r["active"] for r in old)


async def test_one_time_schedule_passes_its_args_fires_once_and_deactivates(stack: Stack) -> None:
    build_id = await stack.deploy({"math.hot": MATH})
    clock = start_clock()
    async with stack.scheduler_server(clock) as server, running(stack, clock) as loop:
        created = await server.stub.CreateSchedule(pb.CreateScheduleRequest(
            env_id=stack.env_id, build_id=build_id, fn="::app::math/add", args_json="[1,2]",
            schedule="in 3 seconds"))
        assert created.kind == pb.SCHEDULE_KIND_ONCE and created.cron.startswith("@at:")
        assert created.run_at.ToDatetime(tzinfo=UTC) == clock.now() + timedelta(seconds=3)
        await changed(loop, created.schedule_id)
        await tick(clock, loop, 2)
        assert await stack.schedule_events() == []
        await tick(clock, loop, 1)
        await tick(clock, loop, 10)
    (event,) = await stack.schedule_events()
    assert event["event_data"]["fn"] == "::app::math/add" and event["event_data"]["args"] == [1, 2]
    (row,) = await stack.rows("SELECT active, deactivated_at FROM hot.schedule")
    assert row["active"] is False and row["deactivated_at"] is not None


async def test_one_time_created_before_the_loop_and_in_the_past_fires_on_the_next_tick(stack: Stack) -> None:
    build_id = await stack.deploy({"math.hot": MATH})
    clock = start_clock()
    async with stack.scheduler_server(clock) as server:
        await server.stub.CreateSchedule(pb.CreateScheduleRequest(
            env_id=stack.env_id, build_id=build_id, fn="::app::math/add", schedule="2024-01-15T10:30:00Z"))
        async with running(stack, clock):
            pass
    (event,) = await stack.schedule_events()
    (arg,) = event["event_data"]["args"]
    assert arg["scheduled_at"] == "2024-01-15T10:30:00.000000Z" and arg["type"] == "hot:schedule"


async def test_dynamic_forms(stack: Stack) -> None:
    build_id = await stack.deploy({"math.hot": MATH})
    clock = start_clock()
    async with stack.scheduler_server(clock) as server:
        for text, delta in (("2 hours from now", timedelta(hours=2)), ("after 1 day", timedelta(days=1)),
                            ("1h30m", timedelta(hours=1, minutes=30))):
            made = await server.stub.CreateSchedule(pb.CreateScheduleRequest(
                env_id=stack.env_id, project="app", fn="::app::math/add", schedule=text))
            assert made.kind == pb.SCHEDULE_KIND_ONCE and made.build_id == build_id
            assert made.run_at.ToDatetime(tzinfo=UTC) == clock.now() + delta and made.expression == text
        made = await server.stub.CreateSchedule(pb.CreateScheduleRequest(
            env_id=stack.env_id, build_id=build_id, fn="::app::math/add", schedule="every day at 9am"))
        assert made.kind == pb.SCHEDULE_KIND_DYNAMIC and made.cron == "every day at 9am"
        assert made.cron_normalized == "0 0 9 */1 * ? *" and not made.HasField("args_json")
        for bad, problem in (("every 500 milliseconds", "Invalid schedule expression"),
                             ("invalid cron", "Invalid schedule expression 'invalid cron'")):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await server.stub.CreateSchedule(pb.CreateScheduleRequest(
                    env_id=stack.env_id, build_id=build_id, fn="::app::math/add", schedule=bad))
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and problem in (info.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await server.stub.CreateSchedule(pb.CreateScheduleRequest(
                env_id=stack.env_id, build_id=build_id, fn="add", schedule="in 1 minute"))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_cancel_semantics(stack: Stack) -> None:
    build_id = await stack.deploy({"math.hot": MATH, "jobs.hot": JOBS})
    clock = start_clock()
    await sync_static_schedules(stack.pool, clock.now(), stack.sandbox)
    async with stack.scheduler_server(clock) as server, running(stack, clock) as loop:
        made = await server.stub.CreateSchedule(pb.CreateScheduleRequest(
            env_id=stack.env_id, build_id=build_id, fn="::app::math/add", schedule="in 3 seconds"))
        cancel = pb.CancelScheduleRequest(env_id=stack.env_id, schedule_id=made.schedule_id)
        assert (await server.stub.CancelSchedule(cancel)).cancelled is True
        assert (await server.stub.CancelSchedule(cancel)).cancelled is False
        await changed(loop, made.schedule_id)
        await tick(clock, loop, 5)
        assert [e for e in await stack.schedule_events() if e["event_data"]["fn"] == "::app::math/add"] == []
        # by fn: the static cron stops until the next deploy
        by_fn = await server.stub.CancelSchedule(pb.CancelScheduleRequest(
            env_id=stack.env_id, build_id=build_id, fn="::app::jobs/tick"))
        assert by_fn.cancelled and by_fn.count == 1
        before = len(await stack.schedule_events())
        await tick(clock, loop, 6)
        assert len(await stack.schedule_events()) == before
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await server.stub.CancelSchedule(pb.CancelScheduleRequest(env_id=stack.env_id))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details() == "cancel expects data with either 'schedule-id' or 'fn' key"
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await server.stub.CancelSchedule(pb.CancelScheduleRequest(env_id=stack.env_id, schedule_id="nope"))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_two_firing_loops_never_double_fire(stack: Stack) -> None:
    await stack.deploy({"jobs.hot": JOBS})
    clock = start_clock()
    await sync_static_schedules(stack.pool, clock.now(), stack.sandbox)
    async with running(stack, clock) as one, running(stack, clock) as two:
        for _ in range(4):
            clock.advance(timedelta(seconds=2))
            await asyncio.gather(one.settle(), two.settle())
    events = await stack.schedule_events()
    scheduled = [e["event_data"]["scheduled_at"] for e in events]
    assert len(scheduled) == 4 and len(set(scheduled)) == 4


async def _age_tick_schedule(stack: Stack, clock: ManualClock, *, minutes: int) -> None:
    await stack.deploy({"jobs.hot": JOBS})
    await sync_static_schedules(stack.pool, clock.now(), stack.sandbox)
    async with stack.pool.connection() as conn:
        await conn.execute("UPDATE hot.schedule SET created_at = %s", (clock.now() - timedelta(minutes=minutes),))


async def test_missed_fires_are_skipped_by_default(stack: Stack) -> None:
    clock = start_clock()
    await _age_tick_schedule(stack, clock, minutes=10)
    async with running(stack, clock, previous_sync=clock.now() - timedelta(seconds=20)):
        pass
    assert await stack.schedule_events() == []


async def test_backfill_replays_the_gap_with_is_backfill(stack: Stack) -> None:
    clock = start_clock()
    await _age_tick_schedule(stack, clock, minutes=10)
    previous_sync = clock.now() - timedelta(seconds=20)
    async with running(stack, clock, backfill=True, previous_sync=previous_sync):
        pass
    events = await stack.schedule_events()
    assert len(events) == 10  # every 2 s in the 20 s gap
    for event in events:
        (arg,) = event["event_data"]["args"]
        assert arg["is_backfill"] is True and arg["backfilled_at"] is not None
        assert previous_sync < datetime.fromisoformat(arg["scheduled_at"]) <= clock.now()
    logged = await stack.rows("SELECT is_backfill FROM hot.schedule_log")
    assert len(logged) == 10 and all(r["is_backfill"] for r in logged)


async def test_backfill_is_capped_and_skips_young_schedules(stack: Stack) -> None:
    clock = start_clock()
    await _age_tick_schedule(stack, clock, minutes=60)
    async with running(stack, clock, backfill=True, previous_sync=clock.now() - timedelta(minutes=30)):
        pass
    # Only the 2-second schedule: the daily 9:00 one also backfills when the test runs within
    # 30 minutes after 9:00 UTC (the clock starts at the real time, as the rows' created_at do).
    ticks = [e for e in await stack.schedule_events() if e["event_data"]["fn"] == "::app::jobs/tick"]
    assert len(ticks) == 100
    async with stack.pool.connection() as conn:
        await conn.execute("DELETE FROM hot.schedule_log")
        await conn.execute("UPDATE hot.schedule SET created_at = %s", (clock.now() - timedelta(minutes=2),))
    before = len(await stack.schedule_events())
    async with running(stack, clock, backfill=True, previous_sync=clock.now() - timedelta(seconds=30)):
        pass
    assert len(await stack.schedule_events()) == before, "schedules younger than 5 min that never ran"


async def test_get_schedule_and_args_round_trip(stack: Stack) -> None:
    build_id = await stack.deploy({"math.hot": MATH})
    async with stack.scheduler_server() as server:
        made = await server.stub.CreateSchedule(pb.CreateScheduleRequest(
            env_id=stack.env_id, build_id=build_id, fn="::app::math/add", args_json='[1, {"x": 2}]',
            schedule="*/10 * * * * *"))
        got = await server.stub.GetSchedule(pb.GetScheduleRequest(env_id=stack.env_id,
                                                                  schedule_id=made.schedule_id))
        assert json.loads(got.args_json) == [1, {"x": 2}] and got.active and got.HasField("next_fire_at")
