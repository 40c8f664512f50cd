"""Writing runs' spans to PostgreSQL (`hot.trace_span`), in batches, off the run's path.

`RunSpanStore` is an OpenTelemetry span processor: it learns which run a span belongs to
when the span starts (the `hot.run` root names its run; every other span inherits its
parent's run), and queues the finished span. `run_writer` drains the queue every
`FLUSH_INTERVAL_S` (sooner when a root ends) with one COPY per batch. So a run's trace
is stored shortly *after* its terminal run write — readers poll for the `hot.run` span.
Spans of other traces (gRPC, HTTP) are ignored here; they only go to OTLP when configured.

One span cannot lose the others: when a batch's COPY is refused for its data (a NUL character
in an attribute, NaN, …), the spans PostgreSQL cannot store are found (`services.core.jsonsafe`),
dropped and counted in `refused`, and the rest are written; should the COPY still fail, each
span is written on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

import psycopg
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.trace import StatusCode
from psycopg.types.json import Jsonb

from services.core import jsonsafe
from services.core.db import Pool

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.2
BATCH_ROWS = 1000
MAX_QUEUED = 200_000
"""Beyond this many unwritten spans, new ones are dropped (and counted) rather than kept."""

_COPY = (
    "COPY hot.trace_span (span_id, trace_id, parent_span_id, run_id, name, kind, start_time, end_time, "
    "duration_us, status, status_message, attributes, events) FROM STDIN"
)
_STATUS = {StatusCode.UNSET: "unset", StatusCode.OK: "ok", StatusCode.ERROR: "error"}
_DATA_ERRORS: tuple[type[Exception], ...] = (
    psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded, UnicodeError, ValueError, TypeError)
"""A COPY failing with one of these failed on a row's values, not on the connection."""


def _time(ns: int | None) -> datetime:
    return datetime.fromtimestamp((ns or 0) / 1e9, UTC)


def span_row(span: ReadableSpan, run_id: str) -> tuple[Any, ...]:
    """The `hot.trace_span` row of a finished span."""
    context = span.get_span_context()
    assert context is not None
    parent = span.parent
    start, end = span.start_time or 0, span.end_time or span.start_time or 0
    events = [{"name": e.name, "time": _time(e.timestamp).isoformat(), "attributes": dict(e.attributes or {})}
              for e in span.events]
    return (
        f"{context.span_id:016x}", f"{context.trace_id:032x}",
        f"{parent.span_id:016x}" if parent is not None else None, run_id, span.name,
        span.kind.name.lower(), _time(start), _time(end), (end - start) // 1000,
        _STATUS[span.status.status_code], span.status.description,
        Jsonb(dict(span.attributes or {})), Jsonb(events),
    )


class RunSpanStore(SpanProcessor):
    """Queues the spans of runs for `run_writer`; safe to call from any thread."""

    def __init__(self) -> None:
        self._runs: dict[int, str] = {}
        self._lock = threading.Lock()
        self._queue: deque[tuple[ReadableSpan, str]] = deque()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.dropped = 0
        """Spans not queued because the queue was full."""
        self.refused = 0
        """Spans not stored because PostgreSQL cannot store their data."""

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        run_id = (span.attributes or {}).get("hot.run_id")
        parent = span.parent
        with self._lock:
            if run_id is None and parent is not None:
                run_id = self._runs.get(parent.span_id)
            if isinstance(run_id, str):
                self._runs[span.context.span_id] = run_id

    def on_end(self, span: ReadableSpan) -> None:
        context = span.get_span_context()
        if context is None:
            return
        with self._lock:
            run_id = self._runs.pop(context.span_id, None)
        if run_id is None:
            return
        if len(self._queue) >= MAX_QUEUED:
            self.dropped += 1
            return
        self._queue.append((span, run_id))  # converted to a row by the writer, not on the run's thread
        if span.name == "hot.run" and self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing
                self._loop.call_soon_threadsafe(self._wake.set)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    async def run_writer(self, pool: Pool, stop: asyncio.Event) -> None:
        """Write queued spans until `stop` is set, then write what is left."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL_S)
            await asyncio.sleep(0.02)  # let the rest of a finishing run's spans arrive: one insert
            self._wake.clear()
            await self.flush(pool)
        await self.flush(pool)

    async def flush(self, pool: Pool) -> None:
        """Insert every queued span (in batches of `BATCH_ROWS`)."""
        while self._queue:
            batch = [span_row(*self._queue.popleft()) for _ in range(min(BATCH_ROWS, len(self._queue)))]
            try:
                await _copy(pool, batch)
            except _DATA_ERRORS as exc:
                await self._store_storable(pool, batch, exc)
            except Exception as exc:  # noqa: BLE001 - traces are best effort; runs must not stall on them
                log.warning("could not store %d span(s): %s", len(batch), exc)
                return

    async def _store_storable(self, pool: Pool, batch: list[tuple[Any, ...]], exc: Exception) -> None:
        """A batch refused for its data: drop the spans that cannot be stored, write the rest."""
        good = []
        for row in batch:
            problem = row_problem(row)
            if problem is None:
                good.append(row)
            else:
                self.refused += 1
                log.warning("span %s of run %s cannot be stored and is dropped: %s", row[0], row[3], problem)
        try:
            await _copy(pool, good)
            return
        except _DATA_ERRORS as again:
            log.warning("a batch of %d span(s) was refused (%s, then %s); writing them one by one",
                        len(good), exc, again)
        except Exception as failure:  # noqa: BLE001 - best effort, as in `flush`
            log.warning("could not store %d span(s): %s", len(good), failure)
            return
        for row in good:
            try:
                await _copy(pool, [row])
            except _DATA_ERRORS as refused:
                self.refused += 1
                log.warning("span %s of run %s was refused and is dropped: %s", row[0], row[3], refused)


_COLUMNS = ("span_id", "trace_id", "parent_span_id", "run_id", "name", "kind", "start_time", "end_time",
            "duration_us", "status", "status_message", "attributes", "events")


def row_problem(row: tuple[Any, ...]) -> str | None:
    """Why PostgreSQL cannot store a span row (text with NUL or a lone surrogate, unstorable JSON), or None."""
    for name, value in zip(_COLUMNS, row, strict=True):
        if isinstance(value, str):
            problem = jsonsafe.string_problem(value)
            if problem is not None:
                return f"{name} {problem}"
        elif isinstance(value, Jsonb):
            problem = jsonsafe.find_problem(value.obj, root=name, max_depth=jsonsafe.STORED_MAX_DEPTH)
            if problem is not None:
                return problem
    return None


async def _copy(pool: Pool, rows: list[tuple[Any, ...]]) -> None:
    """One COPY of `rows`, in one transaction: all of them are stored, or none."""
    if not rows:
        return
    # COPY, not INSERT: several times cheaper per row for PostgreSQL and for us.
    async with pool.connection() as conn, conn.cursor() as cur, cur.copy(_COPY) as copy:
        for row in rows:
            await copy.write_row(row)
