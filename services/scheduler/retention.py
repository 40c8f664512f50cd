"""Retention: the scheduler leader deletes what is older than its setting, in small batches.

A sweep goes through the kinds in the order the foreign keys need: spans, runs (their spans,
then the runs; retry events and retry runs that point at a deleted run keep their row with the
pointer set to NULL), dead letters, schedule fires, events, then streams left empty. Each
batch is one short statement (runs: one short transaction) over at most `batch_size` rows
found through an index (migration 0006), with a pause between batches, so the sweep never
holds a lock for long and never competes with the hot path for more than one connection.

What is still live is never deleted, whatever its age (docs/decisions/0020):
- a run that is `running` or `pending_retry`, and its spans;
- an event that is unpublished (the outbox will publish it), or unfinished while the stream
  may still deliver it (published less than `events_max_age_days` ago; no stream age limit:
  kept until finished), or referred to by any remaining run or dead letter; and a run that
  such a live event refers to (the retry it is the origin of, or the event it ran for);
- each schedule's latest fire (the firing loop reads it as "last fired"), and every schedule;
- a stream while any event or run remains in it.

Time comes from the injected clock (a `ManualClock` in tests); the pause between batches is
plain `asyncio.sleep`, a throttle rather than a point in time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.core.config import RetentionSettings
from services.core.db import Pool
from services.core.model import RunStatus
from services.scheduler.clock import Clock

log = logging.getLogger(__name__)

KINDS = ("spans", "runs", "dead_letters", "schedule_log", "events", "streams")
"""The kinds a sweep deletes, in the order it deletes them."""

FOLLOWER_POLL = timedelta(seconds=5)
"""How often a follower looks whether it leads now."""

_TERMINAL = f"({RunStatus.SUCCEEDED.value}, {RunStatus.FAILED.value}, {RunStatus.CANCELLED.value})"
# Literal status ids (not parameters), so the planner can use the partial index `run_terminal_stop`.


@dataclass(frozen=True)
class Cutoffs:
    """Rows older than these instants may go; None keeps that kind forever.

    `queue` is the instant before which a published event can no longer be in the JetStream
    stream (its `max_age`); None: any unfinished event may still be delivered."""

    spans: datetime | None
    runs: datetime | None
    dead_letters: datetime | None
    schedule_log: datetime | None
    events: datetime | None
    queue: datetime | None

    @property
    def streams(self) -> datetime | None:
        """An empty stream goes once it has been inactive as long as events are kept."""
        return self.events


def cutoffs_at(settings: RetentionSettings, now: datetime) -> Cutoffs:
    """The cutoffs of a sweep starting at `now` (0 days: None, keep forever)."""

    def before(days: int) -> datetime | None:
        return now - timedelta(days=days) if days > 0 else None

    return Cutoffs(spans=before(settings.spans_days), runs=before(settings.runs_days),
                   dead_letters=before(settings.dead_letters_days),
                   schedule_log=before(settings.schedule_log_days), events=before(settings.events_days),
                   queue=before(settings.events_max_age_days))


@dataclass(frozen=True)
class SweepCounts:
    """Rows one sweep deleted, per kind (counts only: nothing of the rows is logged)."""

    spans: int = 0
    runs: int = 0
    dead_letters: int = 0
    schedule_log: int = 0
    events: int = 0
    streams: int = 0

    @property
    def total(self) -> int:
        return self.spans + self.runs + self.dead_letters + self.schedule_log + self.events + self.streams


def _live_event(queue: datetime | None) -> str:
    """SQL over `e`: the event may still be published or delivered (parameter `queue`)."""
    if queue is None:
        return "(e.published_at IS NULL OR e.completed_at IS NULL)"
    return "(e.published_at IS NULL OR (e.completed_at IS NULL AND e.published_at >= %(queue)s))"


_SPANS_SQL = (
    "DELETE FROM hot.trace_span WHERE span_id = ANY(ARRAY("
    " SELECT s.span_id FROM hot.trace_span s JOIN hot.run r ON r.run_id = s.run_id"
    f" WHERE s.end_time < %(cutoff)s AND r.status_id IN {_TERMINAL} LIMIT %(n)s))")

_DEAD_LETTERS_SQL = (
    "DELETE FROM hot.dead_letter WHERE dead_letter_id = ANY(ARRAY("
    " SELECT dead_letter_id FROM hot.dead_letter WHERE coalesce(replayed_at, created_at) < %(cutoff)s"
    " LIMIT %(n)s FOR UPDATE SKIP LOCKED))")

_SCHEDULE_LOG_SQL = (
    "DELETE FROM hot.schedule_log WHERE schedule_log_id = ANY(ARRAY("
    " SELECT l.schedule_log_id FROM hot.schedule_log l WHERE l.executed_at < %(cutoff)s"
    " AND l.scheduled_time < (SELECT max(m.scheduled_time) FROM hot.schedule_log m"
    "  WHERE m.schedule_id = l.schedule_id)"
    " LIMIT %(n)s FOR UPDATE SKIP LOCKED))")

_STREAMS_SQL = (
    "DELETE FROM hot.stream WHERE stream_id = ANY(ARRAY("
    " SELECT s.stream_id FROM hot.stream s WHERE s.last_activity_at < %(cutoff)s"
    " AND NOT EXISTS (SELECT 1 FROM hot.event e WHERE e.stream_id = s.stream_id)"
    " AND NOT EXISTS (SELECT 1 FROM hot.run r WHERE r.stream_id = s.stream_id)"
    " LIMIT %(n)s FOR UPDATE SKIP LOCKED))")


def _events_sql(queue: datetime | None) -> str:
    return ("DELETE FROM hot.event WHERE event_id = ANY(ARRAY("
            " SELECT e.event_id FROM hot.event e WHERE e.created_at < %(cutoff)s"
            f" AND NOT {_live_event(queue)}"
            " AND NOT EXISTS (SELECT 1 FROM hot.run r WHERE r.event_id = e.event_id)"
            " AND NOT EXISTS (SELECT 1 FROM hot.dead_letter d WHERE d.event_id = e.event_id)"
            " LIMIT %(n)s FOR UPDATE SKIP LOCKED))")


def _doomed_runs_sql(queue: datetime | None) -> str:
    return ("SELECT r.run_id FROM hot.run r"
            f" WHERE r.status_id IN {_TERMINAL} AND r.stop_time < %(cutoff)s"
            f" AND NOT EXISTS (SELECT 1 FROM hot.event e WHERE e.retry_of_run_id = r.run_id AND {_live_event(queue)})"
            f" AND NOT EXISTS (SELECT 1 FROM hot.event e WHERE e.event_id = r.event_id AND {_live_event(queue)})"
            " LIMIT %(n)s FOR UPDATE OF r SKIP LOCKED")


class RetentionSweeper:
    """Deletes rows older than the `RetentionSettings`, while this replica leads.

    Counters for tests and status: `sweeps` (completed), `wakes` (loop iterations),
    `batches[kind]` (statements run), `last` (the last completed sweep's counts) and `last_at`.
    """

    def __init__(self, pool: Pool, clock: Clock, settings: RetentionSettings) -> None:
        self._pool = pool
        self._clock = clock
        self.settings = settings
        self.sweeps = 0
        self.wakes = 0
        self.batches: Counter[str] = Counter()
        self.last: SweepCounts | None = None
        self.last_at: datetime | None = None

    async def run(self, stop: asyncio.Event, *, is_leader: Callable[[], bool]) -> None:
        """Sweep now and every `sweep_interval_s` (on the clock) while `is_leader()`; a follower
        only looks again every `FOLLOWER_POLL`. Returns when `stop` is set; a failed sweep is
        logged and tried again next interval."""
        interval = timedelta(seconds=self.settings.sweep_interval_s)
        follower_poll = min(interval, FOLLOWER_POLL)
        next_at = self._clock.now()
        while not stop.is_set():
            self.wakes += 1
            now = self._clock.now()
            if now >= next_at:
                if is_leader():
                    next_at = now + interval
                    try:
                        await self.sweep(keep_going=lambda: not stop.is_set() and is_leader())
                    except Exception:
                        log.exception("retention sweep failed; trying again in %.0f s", interval.total_seconds())
                else:
                    next_at = now + follower_poll  # a new leader sweeps soon after its election
            await self._clock.sleep_until(next_at, stop)

    async def sweep(self, *, keep_going: Callable[[], bool] = lambda: True) -> SweepCounts:
        """One sweep: every kind, batch after batch, until nothing old is left or `keep_going()`
        turns false (leadership lost, stopping). Logs and returns the counts."""
        started = time.monotonic()
        now = self._clock.now()
        cut = cutoffs_at(self.settings, now)
        deleted: dict[str, int] = {}
        for kind in KINDS:
            cutoff: datetime | None = getattr(cut, kind)
            deleted[kind] = 0 if cutoff is None else await self._drain(kind, cutoff, cut.queue, keep_going)
        counts = SweepCounts(**deleted)
        finished = keep_going()
        log.info("retention sweep%s: deleted %d span(s), %d run(s), %d dead letter(s), %d schedule fire(s), "
                 "%d event(s), %d stream(s) in %.1f s", "" if finished else " (interrupted)", counts.spans,
                 counts.runs, counts.dead_letters, counts.schedule_log, counts.events, counts.streams,
                 time.monotonic() - started)
        if finished:
            self.sweeps += 1
            self.last, self.last_at = counts, now
        return counts

    async def _drain(self, kind: str, cutoff: datetime, queue: datetime | None,
                     keep_going: Callable[[], bool]) -> int:
        total = 0
        params = {"cutoff": cutoff, "queue": queue, "n": self.settings.batch_size}
        while keep_going():
            deleted = await self._delete_batch(kind, params)
            self.batches[kind] += 1
            total += deleted
            if deleted < self.settings.batch_size:
                break
            await asyncio.sleep(self.settings.batch_pause_s)
        return total

    async def _delete_batch(self, kind: str, params: dict[str, Any]) -> int:
        queue = params["queue"]
        if kind == "runs":
            return await self._delete_runs(params)
        sql = {"spans": _SPANS_SQL, "dead_letters": _DEAD_LETTERS_SQL, "schedule_log": _SCHEDULE_LOG_SQL,
               "events": _events_sql(queue), "streams": _STREAMS_SQL}[kind]
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    async def _delete_runs(self, params: dict[str, Any]) -> int:
        """One batch of runs in one transaction: lock them, unlink what points at them, delete
        their spans, delete them (the spans' ON DELETE CASCADE would do it, unbounded)."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(_doomed_runs_sql(params["queue"]), params)
            ids = [row["run_id"] for row in await cur.fetchall()]
            if not ids:
                return 0
            await conn.execute("UPDATE hot.run SET origin_run_id = NULL WHERE origin_run_id = ANY(%s)", (ids,))
            await conn.execute("UPDATE hot.event SET retry_of_run_id = NULL WHERE retry_of_run_id = ANY(%s)", (ids,))
            await conn.execute("DELETE FROM hot.trace_span WHERE run_id = ANY(%s)", (ids,))
            cur = await conn.execute("DELETE FROM hot.run WHERE run_id = ANY(%s)", (ids,))
            return cur.rowcount
