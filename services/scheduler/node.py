"""One scheduler replica: stand by until it holds the leader lock, then lead until it loses it.

While leading it runs, side by side: the firing loop; a heartbeat in `hot.scheduler_state`
(so the next leader can tell a quick hand-over from downtime); the static-schedule sync
(every `sync_interval_s` and on `NOTIFY hot_deploy`); and a listener on the lock's own
session for `hot_schedule` / `hot_deploy` notifications, which also checks every second
that the session (and so the lock) is still there. If anything of that fails, leadership
is given up, the session closed, and election starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from services.core.db import Pool
from services.sandbox.pool import WorkerPool
from services.scheduler import leader
from services.scheduler.clock import Clock
from services.scheduler.firing import EventSink, FiringLoop
from services.scheduler.static import mark_synced, sync_static_schedules
from services.scheduler.store import DEPLOY_CHANNEL, SCHEDULE_CHANNEL

log = logging.getLogger(__name__)

HANDOVER_GRACE = timedelta(seconds=8)
"""A previous leader seen alive this recently hands over: its last moments' fires are re-checked."""


class SchedulerNode:
    """Options:
        backfill: replay fires missed during downtime (`HOT_SCHEDULER_BACKFILL`), default False.
        sync_interval_s: how often static schedules are re-synced without a NOTIFY (default 10 s).
        heartbeat_s: how often the leader proves it is alive (default 1 s).
    """

    def __init__(self, dsn: str, pool: Pool, sink: EventSink, clock: Clock, *, sandbox: WorkerPool,
                 backfill: bool = False,
                 sync_interval_s: float = 10.0, heartbeat_s: float = 1.0, lock_key: int = leader.LEADER_LOCK) -> None:
        self._dsn = dsn
        self._pool = pool
        self._sandbox = sandbox
        self._sink = sink
        self._clock = clock
        self._backfill = backfill
        self._sync_interval_s = sync_interval_s
        self._heartbeat_s = heartbeat_s
        self._lock_key = lock_key
        self.node_id = f"{socket.gethostname()}:{os.getpid()}"
        self.loop: FiringLoop | None = None
        self._sync_now = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self.loop is not None

    async def run(self, stop: asyncio.Event) -> None:
        """Elect, lead, and re-elect until `stop` is set."""
        while not stop.is_set():
            conn = await leader.acquire(self._dsn, stop, key=self._lock_key)
            if conn is None:
                return
            log.info("scheduler %s is the leader", self.node_id)
            try:
                await self._lead(conn, stop)
            except Exception:
                log.exception("leadership lost")
            finally:
                self.loop = None
                with contextlib.suppress(Exception):
                    await conn.close()
            if not stop.is_set():
                await asyncio.sleep(1.0)

    async def _lead(self, conn: AsyncConnection[Any], stop: asyncio.Event) -> None:
        await conn.execute(f"LISTEN {SCHEDULE_CHANNEL}")
        await conn.execute(f"LISTEN {DEPLOY_CHANNEL}")
        now = self._clock.now()
        previous_heartbeat, previous_sync = await self._take_over(now)
        await sync_static_schedules(self._pool, now, self._sandbox)
        if previous_heartbeat is not None and now - previous_heartbeat <= HANDOVER_GRACE:
            resume_after = previous_heartbeat - timedelta(seconds=2)  # the old leader's last fires may be unfinished
        else:
            resume_after = now  # downtime: missed fires are skipped (or backfilled)
        loop = FiringLoop(self._pool, self._sink, self._clock, backfill=self._backfill)
        backfilled = await loop.load(resume_after=resume_after, previous_sync=previous_sync)
        await mark_synced(self._pool, now)
        log.info("timing %d schedule(s); %d backfill fire(s) queued", loop.active_count, backfilled)
        self.loop = loop
        tasks = [asyncio.create_task(loop.run(), name="firing"),
                 asyncio.create_task(self._heartbeat(), name="heartbeat"),
                 asyncio.create_task(self._sync_loop(), name="sync"),
                 asyncio.create_task(self._listen(conn, loop), name="listen"),
                 asyncio.create_task(stop.wait(), name="stop")]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.get_name() != "stop" and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _take_over(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT leader_heartbeat_at, last_successful_sync_time FROM "
                                     "hot.scheduler_state WHERE scheduler_id = 'main' FOR UPDATE")
            row = await cur.fetchone()
            await conn.execute("UPDATE hot.scheduler_state SET leader_id = %s, leader_since = %s, "
                               "leader_heartbeat_at = %s, updated_at = now() WHERE scheduler_id = 'main'",
                               (self.node_id, now, now))
        if row is None:
            return None, None
        return row["leader_heartbeat_at"], row["last_successful_sync_time"]

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_s)
            async with self._pool.connection() as conn:
                await conn.execute("UPDATE hot.scheduler_state SET leader_heartbeat_at = %s, updated_at = now() "
                                   "WHERE scheduler_id = 'main'", (self._clock.now(),))

    async def _sync_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sync_now.wait(), timeout=self._sync_interval_s)
            self._sync_now.clear()
            now = self._clock.now()
            result = await sync_static_schedules(self._pool, now, self._sandbox)
            if result.registered or result.deactivated:
                log.info("static sync: %d registered, %d deactivated", len(result.registered),
                         len(result.deactivated))
            await mark_synced(self._pool, now)

    async def _listen(self, conn: AsyncConnection[Any], loop: FiringLoop) -> None:
        while True:
            async for note in conn.notifies(timeout=1.0):
                if note.channel == SCHEDULE_CHANNEL:
                    loop.schedule_changed(note.payload)
                elif note.channel == DEPLOY_CHANNEL:
                    self._sync_now.set()
            if not await leader.still_held(conn):
                raise ConnectionError("the leader lock's database session is gone")
