"""Executor throughput with execution tracing on and off (issue 7), through a real `hot dev`.

Tracing on (the default) records the `hot.run` span plus one span per Hot call, and the span
store writes them to PostgreSQL in batches. `HOT_TRACING=off` keeps only the `hot.run` span:
programs are then loaded without span hooks and run the generated fast path. Run alone with
``python -m benchmarks.traces_bench``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg

from benchmarks.platform_bench import _publish_all
from benchmarks.table import Row, print_table
from tests.support.platform import DevPlatform
from tests.support.waiting import wait_until

HANDLER = """
::bench::traced ns

label fn (data) { `event ${data.i}` }

on-bench
meta {on-event: "bench:noop"}
fn (event) {
  text label(event.data)
  {text: text, i: event.data.i}
}
"""


def _runs_per_second(tracing: str, events: int) -> tuple[float, int]:
    """Runs/s for `events` events with `HOT_TRACING=tracing`, and the spans stored per run."""
    dev = DevPlatform({"traced.hot": HANDLER}, include_examples=False, env={"HOT_TRACING": tracing}).start()
    try:
        url, key, dsn = dev.state["gateway_url"], dev.state["api_key"], dev.state["database_url"]
        asyncio.run(_publish_all(url, key, 50, concurrency=8, rate=None, phase="warm"))
        with psycopg.connect(dsn, autocommit=True) as conn:
            _wait(conn, 50, 60)
            started = time.perf_counter()
            asyncio.run(_publish_all(url, key, events, concurrency=32, rate=None, phase="bulk"))
            _wait(conn, 50 + events, 300)
            elapsed = time.perf_counter() - started
            time.sleep(0.5)  # spans are stored shortly after each run's terminal write
            row = conn.execute("SELECT count(*) FROM hot.trace_span").fetchone()
            spans = int(row[0]) if row else 0
        return events / elapsed, spans // (50 + events)
    finally:
        dev.stop()


def _wait(conn: psycopg.Connection[tuple[Any, ...]], expected: int, timeout: float) -> None:
    def succeeded() -> bool:
        row = conn.execute("SELECT count(*) FROM hot.run WHERE status_id = 2").fetchone()
        return row is not None and int(row[0]) >= expected

    wait_until(succeeded, timeout, what=f"{expected} succeeded runs")


def run(events: int = 1000) -> list[Row]:
    rows = []
    for tracing in ("off", "on"):
        rate, spans = _runs_per_second(tracing, events)
        rows.append(Row("-", f"executor runs/s, HOT_TRACING={tracing} ({events} events, {spans} spans/run)",
                        f"{rate:,.0f} runs/s", "-", None))
    return rows


if __name__ == "__main__":
    print_table(run())
