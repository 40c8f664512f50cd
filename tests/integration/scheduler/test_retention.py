"""Retention against a real PostgreSQL on a manual clock: what is older than its setting goes,
what is newer (by a second) stays, what is live stays whatever its age (issue 10, point 6)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.core.config import RetentionSettings
from services.core.model import RunStatus
from services.scheduler.clock import ManualClock
from services.scheduler.retention import FOLLOWER_POLL, RetentionSweeper, SweepCounts
from tests.support.aged_rows import AgedRows
from tests.support.stack import Stack
from tests.support.waiting import wait_until_async

NOW = datetime.now(UTC).replace(microsecond=0)
SECOND = timedelta(seconds=1)
ANCIENT = NOW - timedelta(days=1000)

SETTINGS = RetentionSettings(events_days=10, runs_days=20, spans_days=3, schedule_log_days=5, dead_letters_days=15,
                             events_max_age_days=1, batch_size=1000, batch_pause_s=0.0)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def sweeper(stack: Stack, settings: RetentionSettings = SETTINGS, clock: ManualClock | None = None) -> RetentionSweeper:
    return RetentionSweeper(stack.pool, clock or ManualClock(NOW), settings)


async def test_each_kind_goes_one_second_after_its_own_cutoff(stack: Stack) -> None:
    rows = AgedRows(stack)
    # Spans (3 days) of a run that is itself recent.
    stream = await rows.stream(NOW)
    recent_run = await rows.run(stream, RunStatus.SUCCEEDED, NOW - days(1))
    old_span = await rows.span(recent_run, NOW - days(3) - SECOND)
    new_span = await rows.span(recent_run, NOW - days(3) + SECOND)
    # Runs (20 days), on a stream that keeps other content.
    old_run = await rows.run(stream, RunStatus.FAILED, NOW - days(20) - SECOND)
    new_run = await rows.run(stream, RunStatus.CANCELLED, NOW - days(20) + SECOND)
    # Dead letters (15 days) of ancient events: an event stays while its dead letter does.
    dl_stream = await rows.stream(ANCIENT)
    old_dl_event = await rows.event(dl_stream, ANCIENT, completed=None)
    new_dl_event = await rows.event(dl_stream, ANCIENT, completed=None)
    old_dl = await rows.dead_letter(old_dl_event, NOW - days(15) - SECOND)
    new_dl = await rows.dead_letter(new_dl_event, ANCIENT, replayed=NOW - days(15) + SECOND)
    # Schedule fires (5 days).
    schedule = await rows.schedule(ANCIENT)
    old_fire = await rows.fire(schedule, NOW - days(5) - SECOND)
    new_fire = await rows.fire(schedule, NOW - days(5) + SECOND)
    # Events (10 days), each on its own stream: the emptied one goes with its event.
    old_stream, new_stream = await rows.stream(NOW - days(10) - SECOND), await rows.stream(NOW - days(10) + SECOND)
    old_event = await rows.event(old_stream, NOW - days(10) - SECOND)
    new_event = await rows.event(new_stream, NOW - days(10) + SECOND)

    counts = await sweeper(stack).sweep()

    assert await rows.present("trace_span", "span_id", [old_span, new_span]) == {new_span}
    assert await rows.present("run", "run_id", [old_run, new_run, recent_run]) == {new_run, recent_run}
    assert await rows.present("dead_letter", "dead_letter_id", [old_dl, new_dl]) == {new_dl}
    assert await rows.present("event", "event_id", [old_dl_event, new_dl_event]) == {new_dl_event}
    assert await rows.present("schedule_log", "schedule_log_id", [old_fire, new_fire]) == {str(new_fire)}
    assert await rows.present("event", "event_id", [old_event, new_event]) == {new_event}
    assert await rows.present("stream", "stream_id", [old_stream, new_stream, stream, dl_stream]) == {
        new_stream, stream, dl_stream}
    assert await rows.present("schedule", "schedule_id", [schedule]) == {schedule}
    assert counts == SweepCounts(spans=1, runs=1, dead_letters=1, schedule_log=1, events=2, streams=1)


async def test_live_rows_stay_whatever_their_age(stack: Stack) -> None:
    rows = AgedRows(stack)
    stream = await rows.stream(ANCIENT)
    event = await rows.event(stream, ANCIENT)
    running = await rows.run(stream, RunStatus.RUNNING, None, started=ANCIENT, event_id=event)
    pending = await rows.run(stream, RunStatus.PENDING_RETRY, ANCIENT, event_id=event)
    spans = [await rows.span(running, ANCIENT), await rows.span(pending, ANCIENT)]
    unpublished = await rows.event(stream, ANCIENT, published=None, completed=None)
    # Unfinished and published an hour ago: the stream (max age 1 day) may still deliver it, so
    # neither it nor the runs it refers to (it retries one, another ran for it) may go.
    retried = await rows.run(stream, RunStatus.FAILED, ANCIENT)
    queued = await rows.event(stream, ANCIENT, published=NOW - timedelta(hours=1), completed=None,
                              retry_of_run_id=retried)
    ran_for_queued = await rows.run(stream, RunStatus.SUCCEEDED, ANCIENT, event_id=queued)
    schedule = await rows.schedule(ANCIENT)
    latest_fire = await rows.fire(schedule, ANCIENT)
    every_kind_one_day = RetentionSettings(events_days=1, runs_days=1, spans_days=1, schedule_log_days=1,
                                           dead_letters_days=1, events_max_age_days=1, batch_pause_s=0.0)

    counts = await sweeper(stack, every_kind_one_day).sweep()

    assert counts.total == 0
    assert await rows.present("run", "run_id", [running, pending, retried, ran_for_queued]) == {
        running, pending, retried, ran_for_queued}
    assert await rows.present("trace_span", "span_id", spans) == set(spans)
    assert await rows.present("event", "event_id", [event, unpublished, queued]) == {event, unpublished, queued}
    assert await rows.present("schedule_log", "schedule_log_id", [latest_fire]) == {str(latest_fire)}
    assert await rows.present("schedule", "schedule_id", [schedule]) == {schedule}
    assert await rows.present("stream", "stream_id", [stream]) == {stream}


async def test_an_unfinished_event_is_kept_while_the_stream_has_no_age_limit(stack: Stack) -> None:
    rows = AgedRows(stack)
    stream = await rows.stream(ANCIENT)
    unfinished = await rows.event(stream, ANCIENT, completed=None)
    finished = await rows.event(stream, ANCIENT)
    no_stream_limit = replace(SETTINGS, events_max_age_days=0)
    await sweeper(stack, no_stream_limit).sweep()
    assert await rows.present("event", "event_id", [unfinished, finished]) == {unfinished}
    await sweeper(stack).sweep()  # with the stream's 1-day max age it can no longer be delivered
    assert await rows.present("event", "event_id", [unfinished]) == set()


async def test_zero_keeps_every_kind_forever(stack: Stack) -> None:
    rows = AgedRows(stack)
    stream = await rows.stream(ANCIENT)
    event = await rows.event(stream, ANCIENT)
    lone_event = await rows.event(await rows.stream(ANCIENT), ANCIENT)
    run = await rows.run(stream, RunStatus.SUCCEEDED, ANCIENT, event_id=event)
    span = await rows.span(run, ANCIENT)
    dead_letter = await rows.dead_letter(await rows.event(stream, ANCIENT), ANCIENT)
    schedule = await rows.schedule(ANCIENT)
    fires = [await rows.fire(schedule, ANCIENT), await rows.fire(schedule, ANCIENT + SECOND)]
    forever = RetentionSettings(events_days=0, runs_days=0, spans_days=0, schedule_log_days=0, dead_letters_days=0,
                                events_max_age_days=0)
    sweep = sweeper(stack, forever)

    assert await sweep.sweep() == SweepCounts()
    assert not sweep.batches, "no kind was even looked at"
    assert await rows.present("event", "event_id", [event, lone_event]) == {event, lone_event}
    assert await rows.present("run", "run_id", [run]) == {run}
    assert await rows.present("trace_span", "span_id", [span]) == {span}
    assert await rows.present("dead_letter", "dead_letter_id", [dead_letter]) == {dead_letter}
    assert await rows.present("schedule_log", "schedule_log_id", fires) == {str(f) for f in fires}


async def test_a_run_takes_its_spans_and_unlinks_its_retries(stack: Stack) -> None:
    rows = AgedRows(stack)
    old = NOW - days(40)
    stream = await rows.stream(old)
    first = await rows.event(stream, old)
    failed = await rows.run(stream, RunStatus.FAILED, old, event_id=first)
    retry = await rows.event(stream, old, retry_of_run_id=failed)
    retried = await rows.run(stream, RunStatus.SUCCEEDED, old + SECOND, event_id=retry, origin_run_id=failed)
    dead_letter = await rows.dead_letter(first, old)
    schedule = await rows.schedule(ANCIENT)
    fired_retry = await rows.fire(schedule, NOW, event_id=retry)  # recent: stays, its event_id set to NULL
    # Spans are kept longer than runs here: they still go with their run.
    spans = [await rows.span(failed, old), await rows.span(retried, old)]
    # A run kept longer than its event keeps the event.
    recent_stream = await rows.stream(NOW - days(12))
    kept_event = await rows.event(recent_stream, NOW - days(12))
    kept_run = await rows.run(recent_stream, RunStatus.SUCCEEDED, NOW - days(12), event_id=kept_event)

    counts = await sweeper(stack, replace(SETTINGS, spans_days=0)).sweep()

    assert counts == SweepCounts(spans=0, runs=2, dead_letters=1, schedule_log=0, events=2, streams=1)
    assert await rows.present("trace_span", "span_id", spans) == set()
    assert await rows.present("event", "event_id", [first, retry, kept_event]) == {kept_event}
    assert await rows.present("run", "run_id", [failed, retried, kept_run]) == {kept_run}
    assert await rows.present("dead_letter", "dead_letter_id", [dead_letter]) == set()
    assert await rows.present("stream", "stream_id", [stream, recent_stream]) == {recent_stream}
    (fire,) = await stack.rows("SELECT event_id FROM hot.schedule_log WHERE schedule_log_id = %s", fired_retry)
    assert fire["event_id"] is None


async def test_a_sweep_deletes_in_batches_of_the_batch_size(stack: Stack) -> None:
    rows = AgedRows(stack)
    stream = await rows.stream(ANCIENT)
    async with stack.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO hot.event (event_id, env_id, stream_id, event_type, event_data, event_time, created_at, "
            "published_at, completed_at) SELECT gen_random_uuid(), %s, %s, 'bulk', '{}', %s, %s, %s, %s "
            "FROM generate_series(1, 2500)", (stack.env_id, stream, ANCIENT, ANCIENT, ANCIENT, ANCIENT))
    kept = await rows.event(stream, NOW)
    sweep = sweeper(stack)

    counts = await sweep.sweep()

    assert counts.events == 2500
    assert sweep.batches["events"] == 3, "1000 + 1000 + 500"
    (left,) = await stack.rows("SELECT count(*) AS n FROM hot.event WHERE stream_id = %s", stream)
    assert left["n"] == 1 and await rows.present("event", "event_id", [kept]) == {kept}


async def test_only_the_leader_sweeps_and_only_every_interval(stack: Stack) -> None:
    rows = AgedRows(stack)
    clock = ManualClock(NOW)
    sweep = sweeper(stack, replace(SETTINGS, sweep_interval_s=600), clock)
    stream = await rows.stream(NOW)
    first = await rows.event(stream, NOW - days(11))
    leading = False
    stop = asyncio.Event()
    task = asyncio.create_task(sweep.run(stop, is_leader=lambda: leading))

    async def woken(times: int) -> bool:
        return sweep.wakes >= times

    async def swept(times: int) -> bool:
        return sweep.sweeps >= times

    try:
        await wait_until_async(lambda: woken(1), 10, what="the sweeper's first look")
        clock.advance(FOLLOWER_POLL)
        await wait_until_async(lambda: woken(2), 10, what="a second look as a follower")
        assert sweep.sweeps == 0 and not sweep.batches, "a follower does not sweep"
        assert await rows.present("event", "event_id", [first]) == {first}

        leading = True
        clock.advance(FOLLOWER_POLL)
        await wait_until_async(lambda: swept(1), 10, what="the new leader's sweep")
        assert await rows.present("event", "event_id", [first]) == set()

        second = await rows.event(stream, clock.now() - days(11))
        wakes = sweep.wakes
        clock.advance(timedelta(seconds=599))
        await wait_until_async(lambda: woken(wakes + 1), 10, what="a look before the interval is over")
        assert sweep.sweeps == 1 and await rows.present("event", "event_id", [second]) == {second}
        clock.advance(SECOND)
        await wait_until_async(lambda: swept(2), 10, what="the next sweep, one interval later")
        assert await rows.present("event", "event_id", [second]) == set()
        assert sweep.last == SweepCounts(events=1) and sweep.last_at == NOW + 2 * FOLLOWER_POLL + timedelta(
            seconds=600)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
