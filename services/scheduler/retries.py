"""Due retries: the leader hands every `pending_retry` run whose `next_retry_at` has come to ingest.

Ingest's `EnqueueRetry` does the work in one guarded transaction (a run no longer
`pending_retry` is left alone), so claiming a run twice — two leaders for a moment, or a
retry after a timeout — never enqueues two attempts. The loop sleeps until the earliest
known `next_retry_at`, and looks again at least every `poll_s` for rows the executors wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.core.db import Pool
from services.core.pb import hot_ingest_pb2 as ingest_pb
from services.scheduler.clock import Clock, SystemClock

log = logging.getLogger(__name__)


class RetrySink(Protocol):
    async def enqueue_retry(self, run_id: str) -> bool:
        """Enqueue the next attempt of a due run; False when it was no longer pending_retry."""
        ...


class RetryLoop:
    """Options:
        batch_size: due runs claimed per round, oldest `next_retry_at` first (default 50).
        poll_s: the longest sleep between two looks (default 1 s).
    """

    def __init__(self, pool: Pool, sink: RetrySink, clock: Clock, *, batch_size: int = 50,
                 poll_s: float = 1.0) -> None:
        self._pool = pool
        self._sink = sink
        self._clock = clock
        self.batch_size = batch_size
        self._poll = timedelta(seconds=poll_s)
        self.enqueued = 0

    async def claim_due_retries(self) -> tuple[int, datetime | None]:
        """Enqueue up to one batch of due retries; returns (claimed, next known retry time)."""
        now = self._clock.now()
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT run_id::text FROM hot.run WHERE status_id = 5 AND next_retry_at <= %s "
                "ORDER BY next_retry_at LIMIT %s", (now, self.batch_size))
            due = [r["run_id"] for r in await cur.fetchall()]
            cur = await conn.execute("SELECT min(next_retry_at) AS at FROM hot.run WHERE status_id = 5 "
                                     "AND next_retry_at > %s", (now,))
            row = await cur.fetchone()
        results = await asyncio.gather(*(self._sink.enqueue_retry(run_id) for run_id in due), return_exceptions=True)
        for run_id, result in zip(due, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("enqueueing the retry of run %s failed: %s", run_id, result)
            elif result:
                self.enqueued += 1
        return len(due), row["at"] if row else None

    async def run(self) -> None:
        """Claim due retries until cancelled."""
        never = asyncio.Event()
        while True:
            claimed, upcoming = await self.claim_due_retries()
            if claimed >= self.batch_size:
                continue
            wake = self._clock.now() + self._poll
            if upcoming is not None and upcoming < wake:
                wake = upcoming
            await self._clock.sleep_until(wake, never)


class _StubSink:
    """`RetrySink` over an `IngestStub`."""

    def __init__(self, stub: Any, timeout_s: float = 5.0) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def enqueue_retry(self, run_id: str) -> bool:
        response = await self._stub.EnqueueRetry(ingest_pb.EnqueueRetryRequest(run_id=run_id),
                                                 timeout=self._timeout_s)
        return bool(response.enqueued)


class RetryDispatcher:
    """The process-level retry task `__main__` runs: claims due retries only while this replica
    leads (`is_leader()`), survives database and ingest outages, returns when `stop` is set."""

    def __init__(self, pool: Pool, ingest: Any, clock: Clock | None = None, *, batch_size: int = 50,
                 poll_s: float = 1.0) -> None:
        self._clock = clock or SystemClock()
        self._poll_s = poll_s
        self.loop = RetryLoop(pool, _StubSink(ingest), self._clock, batch_size=batch_size, poll_s=poll_s)

    async def run(self, stop: asyncio.Event, *, is_leader: Callable[[], bool]) -> None:
        while not stop.is_set():
            delay = self._poll_s
            if is_leader():
                try:
                    claimed, upcoming = await self.loop.claim_due_retries()
                except Exception:
                    log.exception("claiming due retries failed; trying again")
                else:
                    if claimed >= self.loop.batch_size:
                        continue
                    if upcoming is not None:
                        delay = min(delay, max(0.0, (upcoming - self._clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
