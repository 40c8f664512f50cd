"""Batched run lifecycle writes.

Many runs start and end at once under load; one statement per run would cap throughput
at the database's round-trip rate. `RunWriter` collects the starts and ends requested while
the previous batch was being written and writes each group in one statement, so a lone run
waits for nothing (no linger) and a busy executor writes in batches. Every caller still
awaits its own row: nothing is acknowledged before its write has committed.

One run cannot fail its neighbours: a result PostgreSQL could not store (a NUL character, a
lone surrogate, NaN, absurd nesting; see `services.core.jsonsafe`) is replaced before it is
queued by a failure naming the problem, and should a batch statement still fail on its data,
its rows are written one by one, so only the offending row fails (a finish then stores a
failure saying why, instead of the result).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from services.core import jsonsafe, model
from services.core.db import Pool

log = logging.getLogger(__name__)

MAX_BATCH = 256
DATA_ERRORS: tuple[type[Exception], ...] = (
    psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded, UnicodeError, ValueError, TypeError,
    RecursionError)
"""Errors caused by a row's values (not the connection): its batch is retried row by row."""

_START_SQL = """
WITH v AS (
    SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::uuid[], %s::uuid[], %s::smallint[], %s::uuid[],
                         %s::uuid[], %s::text[], %s::smallint[], %s::uuid[])
        AS t(run_id, env_id, stream_id, build_id, project_id, run_type_id, event_id, event_handler_id, fn_name,
             retry_attempt, origin_run_id)),
r AS (
    INSERT INTO hot.run (run_id, env_id, stream_id, build_id, project_id, run_type_id, event_id, event_handler_id,
                         fn_name, retry_attempt, origin_run_id)
    SELECT * FROM v RETURNING run_id, start_time, event_id, stream_id),
e AS (UPDATE hot.event SET handled = true WHERE event_id IN (SELECT event_id FROM r) AND NOT handled),
s AS (UPDATE hot.stream st SET total_runs = st.total_runs + c.n, last_activity_at = now()
      FROM (SELECT stream_id, count(*) AS n FROM r GROUP BY stream_id) c WHERE st.stream_id = c.stream_id)
SELECT run_id::text, start_time FROM r
"""

# The `status_id = running` guard: a late or duplicate result never overwrites a run that already
# ended (or was cancelled), and never schedules a second retry.
_FINISH_SQL = """
WITH v AS (
    SELECT * FROM unnest(%s::uuid[], %s::smallint[], %s::jsonb[], %s::float8[], %s::text[], %s::boolean[])
        AS t(run_id, status_id, result, delay_s, output, output_truncated)),
r AS (
    UPDATE hot.run x SET
        status_id = CASE WHEN v.delay_s IS NULL THEN v.status_id ELSE %s END,
        stop_time = now(),
        result = v.result,
        output = v.output,
        output_truncated = v.output_truncated,
        retry_attempt = x.retry_attempt + CASE WHEN v.delay_s IS NULL THEN 0 ELSE 1 END,
        next_retry_at = CASE WHEN v.delay_s IS NULL THEN NULL ELSE now() + make_interval(secs => v.delay_s) END
    FROM v WHERE x.run_id = v.run_id AND x.status_id = %s
    RETURNING x.run_id, x.stop_time, x.start_time, x.stream_id),
s AS (UPDATE hot.stream st SET last_activity_at = now(), total_duration_ms = st.total_duration_ms + c.ms
      FROM (SELECT stream_id, sum(greatest(0, (extract(epoch FROM stop_time - start_time) * 1000)::bigint)) AS ms
            FROM r GROUP BY stream_id) c
      WHERE st.stream_id = c.stream_id)
SELECT run_id::text, stop_time FROM r
"""


@dataclass
class _Start:
    run: model.Run
    event_handler_id: str | None
    done: asyncio.Future[datetime]


@dataclass
class _Finish:
    run_id: str
    status: model.RunStatus
    result: Any
    retry_delay_ms: int | None
    done: asyncio.Future[datetime | None]
    output: str | None = None
    output_truncated: bool = False
    fallback: bool = False
    """This write already replaces a result the database refused: never replaced again."""


def unstorable_result(status: model.RunStatus, problem: str) -> tuple[model.RunStatus, Any]:
    """What is stored instead of a result that cannot be: a failure (a cancellation stays one) naming why."""
    message = f"the run's result cannot be stored: {problem}"
    if status is model.RunStatus.CANCELLED:
        return status, model.cancellation_result(message)
    return model.RunStatus.FAILED, model.failure_result(message)


def storable_finish(status: model.RunStatus, result: Any, retry_delay_ms: int | None,
                    max_depth: int = jsonsafe.STORED_MAX_DEPTH) -> tuple[model.RunStatus, Any, int | None]:
    """`(status, result, retry_delay_ms)` to write: unchanged when the result can be stored, else a
    failure naming the first problem (a success turned failure is not retried: it would fail again)."""
    problem = jsonsafe.find_problem(result, root="result", max_depth=max_depth)
    if problem is None:
        return status, result, retry_delay_ms
    stored_status, stored = unstorable_result(status, problem)
    log.warning("run result cannot be stored (%s); storing a failure instead", problem)
    return stored_status, stored, retry_delay_ms if status is model.RunStatus.FAILED else None


class RunWriter:
    """Writes run starts and ends in batches; see the module docstring."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._starts: list[_Start] = []
        self._finishes: list[_Finish] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self, run: model.Run, event_handler_id: str | None) -> datetime:
        """Insert the `running` row (flagging its event handled, counting it on its stream); returns start_time."""
        done: asyncio.Future[datetime] = asyncio.get_running_loop().create_future()
        self._starts.append(_Start(run, event_handler_id, done))
        self._wake()
        return await done

    async def finish(self, run_id: str, status: model.RunStatus, result: Any, retry_delay_ms: int | None, *,
                     output: str | None = None, output_truncated: bool = False) -> datetime | None:
        """Write the end of an attempt (`pending_retry` with `retry_delay_ms`) with its `print` output;
        None if the guard refused.

        A result that cannot be stored is replaced by a failure naming the problem (`storable_finish`)."""
        status, result, retry_delay_ms = storable_finish(status, result, retry_delay_ms)
        done: asyncio.Future[datetime | None] = asyncio.get_running_loop().create_future()
        self._finishes.append(_Finish(run_id, status, result, retry_delay_ms, done, output, output_truncated))
        self._wake()
        return await done

    def _wake(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while self._starts or self._finishes:
            starts, self._starts = self._starts[:MAX_BATCH], self._starts[MAX_BATCH:]
            finishes, self._finishes = self._finishes[:MAX_BATCH], self._finishes[MAX_BATCH:]
            if starts:
                await self._write_starts(starts)
            if finishes:
                await self._write_finishes(finishes)

    async def _write_starts(self, batch: list[_Start]) -> None:
        runs = [item.run for item in batch]
        columns = (
            [r.run_id for r in runs], [r.env_id for r in runs], [r.stream_id for r in runs],
            [r.build_id for r in runs], [r.project_id for r in runs], [int(r.run_type) for r in runs],
            [r.event_id for r in runs], [item.event_handler_id for item in batch], [r.fn_name for r in runs],
            [r.retry_attempt for r in runs], [r.origin_run_id for r in runs],
        )
        try:
            written = await self._execute(_START_SQL, columns, "start_time")
        except DATA_ERRORS as exc:
            if len(batch) > 1:
                log.warning("a batch of %d run start(s) was refused (%s); writing them one by one", len(batch), exc)
                for item in batch:
                    await self._write_starts([item])
                return
            _settle_error(batch, exc)
            return
        except Exception as exc:  # noqa: BLE001 - every waiter of the batch gets the error
            _settle_error(batch, exc)
            return
        _settle(batch, [r.run_id for r in runs], written)

    async def _write_finishes(self, batch: list[_Finish]) -> None:
        columns = (
            [item.run_id for item in batch], [int(item.status) for item in batch],
            [Jsonb(item.result) if item.result is not None else None for item in batch],
            [item.retry_delay_ms / 1000 if item.retry_delay_ms is not None else None for item in batch],
            [item.output for item in batch], [item.output_truncated if item.output is not None else None
                                              for item in batch],
            model.RunStatus.PENDING_RETRY, model.RunStatus.RUNNING,
        )
        try:
            written = await self._execute(_FINISH_SQL, columns, "stop_time")
        except DATA_ERRORS as exc:
            if len(batch) > 1:
                log.warning("a batch of %d run end(s) was refused (%s); writing them one by one", len(batch), exc)
                for item in batch:
                    await self._write_finishes([item])
                return
            (item,) = batch
            if item.fallback:
                _settle_error(batch, exc)
                return
            # The database refused this one row's result: store a failure saying so instead.
            status, result = unstorable_result(item.status, f"the database refused it ({exc})")
            log.warning("run %s: result refused by the database (%s); storing a failure instead", item.run_id, exc)
            await self._write_finishes([_Finish(item.run_id, status, result, None, item.done, item.output,
                                                item.output_truncated, fallback=True)])
            return
        except Exception as exc:  # noqa: BLE001 - every waiter of the batch gets the error
            _settle_error(batch, exc)
            return
        _settle(batch, [item.run_id for item in batch], written)

    async def _execute(self, sql: str, columns: tuple[Any, ...], column: str) -> dict[str, Any]:
        """Run one batch statement; each written row's `column` by run id (a row the guard refused is absent)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, columns)
            return {row["run_id"]: row[column] for row in await cur.fetchall()}


def _settle(batch: Sequence[_Start | _Finish], run_ids: list[str], written: dict[str, Any]) -> None:
    """Give every waiter its row's value, None when the statement returned no row for it."""
    for item, run_id in zip(batch, run_ids, strict=True):
        if not item.done.done():
            item.done.set_result(written.get(run_id))  # type: ignore[arg-type]


def _settle_error(batch: Sequence[_Start | _Finish], exc: Exception) -> None:
    for item in batch:
        if not item.done.done():
            item.done.set_exception(exc)
