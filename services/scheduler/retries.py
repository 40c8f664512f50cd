"""Due retries: the leader hands every `pending_retry` run whose `next_retry_at` has come to ingest.

Ingest's `EnqueueRetry` does the work in one guarded transaction (a run no longer
`pending_retry` is left alone), so claiming a run twice — two leaders for a moment, or a
retry after a timeout — never enqueues two attempts. The loop sleeps on the injected clock
until the earliest known `next_retry_at`, and looks again at least every `poll_s` for rows
the executors wrote; a test drives it with a `ManualClock`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from services.core.db import Pool
from services.core.model import RunStatus
from services.scheduler.clock import Clock

log = logging.getLogger(__name__)


class RetrySink(Protocol):
    """Where due retries go (`ingest_sink.IngestSink` in production)."""

    async def enqueue_retry(self, run_id: str) -> bool:
        """Enqueue the next attempt of a due run; False when it was no longer pending_retry."""
        ...


class RetryLoop:
    """One claiming round at a time over the `pending_retry` runs due at the clock's `now()`.

    Options:
        batch_size: due runs claimed per round, oldest `next_retry_at` first (default 50).
    """

    def __init__(self, pool: Pool, sink: RetrySink, clock: Clock, *, batch_size: int = 50) -> None:
        self._pool = pool
        self._sink = sink
        self._clock = clock
        self.batch_size = batch_size
        self.enqueued = 0

    async def claim_due_retries(self) -> tuple[int, datetime | None]:
        """Enqueue up to one batch of due retries; returns (claimed, next known retry time)."""
        now = self._clock.now()
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT run_id::text FROM hot.run WHERE status_id = %s AND next_retry_at <= %s "
                "ORDER BY next_retry_at LIMIT %s", (RunStatus.PENDING_RETRY, now, self.batch_size))
            due = [r["run_id"] for r in await cur.fetchall()]
            cur = await conn.execute("SELECT min(next_retry_at) AS at FROM hot.run WHERE status_id = %s "
                                     "AND next_retry_at > %s", (RunStatus.PENDING_RETRY, now))
            row = await cur.fetchone()
        results = await asyncio.gather(*(self._sink.enqueue_retry(run_id) for run_id in due), return_exceptions=True)
        for run_id, result in zip(due, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("enqueueing the retry of run %s failed: %s", run_id, result)
            elif result:
                self.enqueued += 1
        return len(due), row["at"] if row else None


class RetryDispatcher:
    """The process-level retry task `__main__` runs: claims due retries only while this replica
    leads (`is_leader()`), survives database and ingest outages, returns when `stop` is set.

    Between rounds it sleeps on the injected clock until the earliest known retry time or
    `poll_s`, whichever comes first; `rounds` counts completed claiming rounds (for tests).

    Options:
        batch_size: see `RetryLoop` (default 50).
        poll_s: the longest sleep between two looks (default 1 s).
    """

    def __init__(self, pool: Pool, sink: RetrySink, clock: Clock, *, batch_size: int = 50,
                 poll_s: float = 1.0) -> None:
        self._clock = clock
        self._poll = timedelta(seconds=poll_s)
        self.loop = RetryLoop(pool, sink, clock, batch_size=batch_size)
        self.rounds = 0

    async def run(self, stop: asyncio.Event, *, is_leader: Callable[[], bool]) -> None:
        while not stop.is_set():
            upcoming: datetime | None = None
            if is_leader():
                try:
                    claimed, upcoming = await self.loop.claim_due_retries()
                except Exception:
                    log.exception("claiming due retries failed; trying again")
                else:
                    self.rounds += 1
                    if claimed >= self.loop.batch_size:
                        continue
            wake = self._clock.now() + self._poll
            if upcoming is not None and upcoming < wake:
                wake = upcoming
            await self._clock.sleep_until(wake, stop)
