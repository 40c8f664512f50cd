"""The firing loop: exact next-fire times in a heap, one sleep until the earliest, idempotent fires.

Only the leader runs it. Each fire, in one PostgreSQL transaction:
1. re-read the schedule `FOR SHARE` — a cancel that committed first makes it inactive, and a
   cancel that comes later waits until this fire commits: a cancelled schedule never fires
   after its cancel commits;
2. insert its `schedule_log` row `ON CONFLICT (schedule_id, scheduled_time) DO NOTHING` — a
   fire that another leader (or an earlier attempt) already logged is not published again;
3. publish the `hot:schedule` event through ingest (a new stream per fire);
4. record the event id, deactivate a fired one-time schedule, commit.
A publish that fails removes its log row again and the fire is retried a second later.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.core import model, wire
from services.core.db import Pool
from services.core.wire import rfc3339
from services.scheduler.clock import Clock
from services.scheduler.cron import CronExpr, next_fire_after, parse_cron
from services.scheduler.store import DEPLOYED, Timed, load_active

log = logging.getLogger(__name__)

SCHEDULE_EVENT = "hot:schedule"
BACKFILL_CAP = 100
BACKFILL_MIN_AGE = timedelta(minutes=5)
RETRY_DELAY = timedelta(seconds=1)


class EventSink(Protocol):
    """Where fires go: ingest's PublishEvent in production."""

    async def publish(self, env_id: str, event_type: str, data: Any) -> str:
        """Publish one event on a new stream; returns its event id. Raises on failure."""
        ...


@dataclass
class _Entry:
    schedule: model.Schedule
    cron: CronExpr | None   # None for one-time
    token: int = 0          # unique per push (from one counter); heap items with another token are stale


@dataclass(frozen=True, order=True)
class _Due:
    wake_at: datetime
    seq: int
    schedule_id: str = field(compare=False)
    scheduled_time: datetime = field(compare=False)
    token: int = field(compare=False)
    is_backfill: bool = field(default=False, compare=False)
    backfilled_at: datetime | None = field(default=None, compare=False)


def event_data(schedule: model.Schedule, scheduled_time: datetime, *, is_backfill: bool = False,
               backfilled_at: datetime | None = None) -> dict[str, Any]:
    """The `hot:schedule` payload: stored args when a dynamic schedule has them (§4.3 DIVERGENCE),
    otherwise the single `{type: "hot:schedule", …}` argument. `build_id` targets the exact build."""
    if schedule.args:
        args: list[Any] = list(schedule.args)
    else:
        args = [{"type": SCHEDULE_EVENT, "schedule_id": schedule.schedule_id,
                 "scheduled_at": rfc3339(scheduled_time), "is_backfill": is_backfill,
                 "backfilled_at": rfc3339(backfilled_at) if backfilled_at else None}]
    return {"fn": schedule.fn, "args": args, "build_id": schedule.build_id, "schedule_id": schedule.schedule_id,
            "scheduled_at": rfc3339(scheduled_time), "is_backfill": is_backfill}


class FiringLoop:
    """Keeps every active schedule's next fire time and fires them on time.

    Options:
        backfill: replay fires missed while no leader ran (§4.4), default False (skip them).
        late_grace: a fire at most this late is still fired (hand-over, stalls); later ones are
            skipped, or backfilled when `backfill` is on. Default 10 s.
        batch_size: fires due together are written in transactions of this many (default 200).
        lead: how long before its time a fire is claimed (schedule re-read, log row inserted), so
            that at the scheduled instant only the publish remains (default 50 ms).
        concurrency: batches in flight at once; the loop keeps timing while they run (default 8).
    """

    def __init__(self, pool: Pool, sink: EventSink, clock: Clock, *, backfill: bool = False,
                 late_grace: timedelta = timedelta(seconds=10), batch_size: int = 200,
                 lead: timedelta = timedelta(milliseconds=50), concurrency: int = 8) -> None:
        self._pool = pool
        self._sink = sink
        self._clock = clock
        self._backfill = backfill
        self._late_grace = late_grace
        self._batch_size = batch_size
        self._lead = lead
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._entries: dict[str, _Entry] = {}
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._changed: set[str] = set()
        self._asleep_at: datetime | None = None
        self._passed = asyncio.Event()
        self._recheck_until: datetime | None = None
        self.fired = 0

    @property
    def active_count(self) -> int:
        return len(self._entries)

    # -- loading -------------------------------------------------------------------------------

    async def load(self, *, resume_after: datetime, previous_sync: datetime | None) -> int:
        """Load every active schedule; fires after `resume_after` are still fired, earlier ones are
        skipped (or backfilled from `previous_sync` on, when enabled). Returns backfills queued.

        When `resume_after` is in the past (a hand-over), fires up to now + late_grace are first
        looked up among the events: the old leader may have published one and died before its
        log row committed, and that fire must not be published twice."""
        now = self._clock.now()
        if resume_after < now:
            self._recheck_until = now + self._late_grace
        queued = 0
        for timed in await load_active(self._pool):
            self._add(timed, resume_after)
            if self._backfill and previous_sync is not None:
                queued += self._queue_backfill(timed, previous_sync, resume_after, now)
        return queued

    def schedule_changed(self, schedule_id: str) -> None:
        """A row was created or deactivated (NOTIFY hot_schedule): reload it before the next fire."""
        self._changed.add(schedule_id)
        self._wake.set()

    def _add(self, timed: Timed, resume_after: datetime) -> None:
        schedule = timed.schedule
        entry = _Entry(schedule, None if schedule.kind == "once" else parse_cron(schedule.cron_normalized or ""))
        self._entries[schedule.schedule_id] = entry
        if entry.cron is None:
            if timed.last_fired is None and schedule.run_at is not None:
                self._push(entry, schedule.run_at)  # overdue one-time schedules fire once on recovery
            return
        base = max(timed.last_fired or schedule.created_at, resume_after)
        nxt = next_fire_after(entry.cron, base)
        if nxt is not None:
            self._push(entry, nxt)

    def _queue_backfill(self, timed: Timed, previous_sync: datetime, resume_after: datetime,
                        now: datetime) -> int:
        schedule = timed.schedule
        entry = self._entries[schedule.schedule_id]
        if entry.cron is None or (timed.last_fired is None and schedule.created_at > now - BACKFILL_MIN_AGE):
            return 0
        at = max(timed.last_fired or previous_sync, previous_sync)
        count = 0
        while count < BACKFILL_CAP:
            nxt = next_fire_after(entry.cron, at)
            if nxt is None or nxt > resume_after:
                break
            heapq.heappush(self._heap, _Due(now, next(self._seq), schedule.schedule_id, nxt, entry.token,
                                            is_backfill=True, backfilled_at=now))
            at = nxt
            count += 1
        return count

    async def _apply_changes(self) -> None:
        ids = list(self._changed)
        self._changed.clear()
        loaded = {t.schedule.schedule_id: t for t in await load_active(self._pool, ids)}
        for schedule_id in ids:
            old = self._entries.pop(schedule_id, None)
            if old is not None:
                old.token = -1
            timed = loaded.get(schedule_id)
            if timed is not None:
                self._add(timed, self._clock.now() - self._late_grace)

    def _push(self, entry: _Entry, when: datetime, scheduled: datetime | None = None) -> None:
        entry.token = next(self._seq)
        heapq.heappush(self._heap, _Due(when - self._lead, next(self._seq), entry.schedule.schedule_id,
                                        scheduled or when, entry.token))

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Fire until cancelled. Sleeps until the earliest next fire or a change notification."""
        try:
            await self._run()
        finally:
            for task in list(self._inflight):
                task.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self._changed:
                await self._apply_changes()
            now = self._clock.now()
            due: dict[tuple[str, datetime], _Due] = {}
            while self._heap and self._heap[0].wake_at <= now:
                item = heapq.heappop(self._heap)
                entry = self._entries.get(item.schedule_id)
                if entry is not None and (item.token == entry.token or item.is_backfill):
                    due.setdefault((item.schedule_id, item.scheduled_time), item)
            if due:
                items = list(due.values())
                for start in range(0, len(items), self._batch_size):
                    await self._slots.acquire()
                    task = asyncio.create_task(self._run_batch(items[start:start + self._batch_size]))
                    self._inflight.add(task)
                continue
            if self._changed:
                continue
            self._asleep_at = None if self._inflight else now
            passed, self._passed = self._passed, asyncio.Event()
            passed.set()
            await self._clock.sleep_until(self._heap[0].wake_at if self._heap else None, self._wake)
            self._asleep_at = None

    async def settle(self) -> None:
        """Wait until the loop has handled everything due at the clock's current time and every
        change notified so far, and sleeps (for tests driving a manual clock)."""
        while not (self._asleep_at is not None and self._asleep_at == self._clock.now()
                   and not self._wake.is_set() and not self._changed):
            await self._passed.wait()

    async def _run_batch(self, batch: list[_Due]) -> None:
        try:
            await self._fire_batch(batch)
        finally:
            self._slots.release()
            task = asyncio.current_task()
            if task is not None:
                self._inflight.discard(task)  # before waking the loop, so it sees the batch done
            self._wake.set()

    async def _fire_batch(self, batch: list[_Due]) -> None:
        try:
            outcome = await self._write_fires(batch)
        except Exception:
            log.exception("firing %d schedule(s) failed; retrying in %s", len(batch), RETRY_DELAY)
            outcome = {(item.schedule_id, item.scheduled_time): "retry" for item in batch}
        now = self._clock.now()
        for item in batch:
            entry = self._entries.get(item.schedule_id)
            if entry is None:
                continue
            result = outcome.get((item.schedule_id, item.scheduled_time), "retry")
            if result == "retry":
                heapq.heappush(self._heap, _Due(now + RETRY_DELAY, next(self._seq), item.schedule_id,
                                                item.scheduled_time, item.token, item.is_backfill,
                                                item.backfilled_at))
                continue
            if result == "gone" or entry.cron is None:
                self._entries.pop(item.schedule_id, None)
                continue
            if item.is_backfill:
                continue
            if result == "fired":
                self.fired += 1
            nxt = next_fire_after(entry.cron, item.scheduled_time)
            if nxt is not None and nxt < now - self._late_grace:
                nxt = next_fire_after(entry.cron, now)  # stalled far too long: skip, do not storm
            if nxt is not None:
                self._push(entry, nxt)
            else:
                self._entries.pop(item.schedule_id, None)

    async def _write_fires(self, batch: list[_Due]) -> dict[tuple[str, datetime], str]:
        """One transaction for the batch; (schedule_id, time) → fired | duplicate | gone | retry."""
        outcome: dict[tuple[str, datetime], str] = {}
        ids = [item.schedule_id for item in batch]
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"SELECT s.schedule_id::text FROM hot.schedule s WHERE s.schedule_id = ANY(%s::uuid[]) "
                f"AND s.active AND {DEPLOYED} FOR SHARE OF s", (ids,))
            live = {r["schedule_id"] for r in await cur.fetchall()}
            claim = [item for item in batch if item.schedule_id in live]
            outcome.update({(i.schedule_id, i.scheduled_time): "gone" for i in batch if i.schedule_id not in live})
            if not claim:
                return outcome
            cur = await conn.execute(
                "INSERT INTO hot.schedule_log (schedule_id, scheduled_time, is_backfill) "
                "SELECT * FROM unnest(%s::uuid[], %s::timestamptz[], %s::bool[]) "
                "ON CONFLICT (schedule_id, scheduled_time) DO NOTHING RETURNING schedule_id::text, scheduled_time",
                ([i.schedule_id for i in claim], [i.scheduled_time for i in claim], [i.is_backfill for i in claim]))
            claimed = {(r["schedule_id"], r["scheduled_time"]) for r in await cur.fetchall()}
            to_publish = [i for i in claim if (i.schedule_id, i.scheduled_time) in claimed]
            if self._recheck_until is not None:
                to_publish = await self._skip_published(conn, to_publish, outcome)
            outcome.update({(i.schedule_id, i.scheduled_time): "duplicate" for i in claim
                            if (i.schedule_id, i.scheduled_time) not in claimed})
            results = await asyncio.gather(*(self._publish(i) for i in to_publish), return_exceptions=True)
            done_ids, done_times, done_events, done_at, failed_ids, failed_times = [], [], [], [], [], []
            for item, result in zip(to_publish, results, strict=True):
                if isinstance(result, BaseException):
                    log.warning("publishing schedule %s at %s failed: %s", item.schedule_id,
                                rfc3339(item.scheduled_time), result)
                    failed_ids.append(item.schedule_id)
                    failed_times.append(item.scheduled_time)
                    outcome[(item.schedule_id, item.scheduled_time)] = "retry"
                else:
                    done_ids.append(item.schedule_id)
                    done_times.append(item.scheduled_time)
                    done_events.append(result[0])
                    done_at.append(result[1])
                    outcome[(item.schedule_id, item.scheduled_time)] = "fired"
            if failed_ids:
                await conn.execute(
                    "DELETE FROM hot.schedule_log l USING unnest(%s::uuid[], %s::timestamptz[]) AS f(id, t) "
                    "WHERE l.schedule_id = f.id AND l.scheduled_time = f.t", (failed_ids, failed_times))
            if done_ids:
                await conn.execute(
                    "UPDATE hot.schedule_log l SET event_id = f.e, executed_at = f.x "
                    "FROM unnest(%s::uuid[], %s::timestamptz[], %s::uuid[], %s::timestamptz[]) AS f(id, t, e, x) "
                    "WHERE l.schedule_id = f.id AND l.scheduled_time = f.t",
                    (done_ids, done_times, done_events, done_at))
                await conn.execute(
                    "UPDATE hot.schedule SET active = false, deactivated_at = now(), next_fire_at = NULL "
                    "WHERE schedule_id = ANY(%s::uuid[]) AND kind = 'once'", (done_ids,))
        return outcome

    async def _skip_published(self, conn: Any, items: list[_Due],
                              outcome: dict[tuple[str, datetime], str]) -> list[_Due]:
        """Hand-over only: drop fires whose event the previous leader already published."""
        until = self._recheck_until
        if until is not None and self._clock.now() > until:
            self._recheck_until = None
        keep = []
        for item in items:
            if until is None or item.scheduled_time > until:
                keep.append(item)
                continue
            schedule = self._entries[item.schedule_id].schedule
            cur = await conn.execute(
                "SELECT event_id::text FROM hot.event WHERE env_id = %s AND event_type = %s "
                "AND event_time >= %s AND event_data @> %s::jsonb LIMIT 1",
                (schedule.env_id, SCHEDULE_EVENT, item.scheduled_time - timedelta(seconds=1),
                 wire.dumps({"schedule_id": item.schedule_id, "scheduled_at": rfc3339(item.scheduled_time)})))
            row = await cur.fetchone()
            if row is None:
                keep.append(item)
                continue
            await conn.execute("UPDATE hot.schedule_log SET event_id = %s WHERE schedule_id = %s "
                               "AND scheduled_time = %s", (row["event_id"], item.schedule_id, item.scheduled_time))
            outcome[(item.schedule_id, item.scheduled_time)] = "duplicate"
        return keep

    async def _publish(self, item: _Due) -> tuple[str, datetime]:
        """Publish at the scheduled instant (the claim ran `lead` earlier); returns (event id, when)."""
        schedule = self._entries[item.schedule_id].schedule
        data = event_data(schedule, item.scheduled_time, is_backfill=item.is_backfill,
                          backfilled_at=item.backfilled_at)
        never = asyncio.Event()
        while self._clock.now() < item.scheduled_time:
            await self._clock.sleep_until(item.scheduled_time, never)
        started = self._clock.now()
        return await self._sink.publish(schedule.env_id, SCHEDULE_EVENT, data), started

