"""Whole-platform figures through a real `hot dev`: start-up time (T7), throughput (T1), latency.

Everything runs on this machine: NATS, PostgreSQL and every service, as `make dev` runs them.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp
import psycopg

from benchmarks.table import Row
from tests.support.platform import DevPlatform

NOOP = """
::bench::noop ns

on-bench
meta {on-event: "bench:noop"}
fn (event) {
  event.data
}
"""


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def _publish_all(url: str, key: str, count: int, concurrency: int, rate: float | None, phase: str) -> float:
    """Publish `count` events (optionally paced at `rate`/s); returns the wall time taken."""
    headers = {"Authorization": f"Bearer {key}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    started = time.perf_counter()

    async def worker(client: aiohttp.ClientSession) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if rate:
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            body = {"event_type": "bench:noop", "event_data": {"i": i, "phase": phase}}
            async with client.post("/v1/events", json=body) as resp:
                resp.raise_for_status()
                await resp.read()

    # aiohttp rather than httpx: the load generator shares the 2 cores and must stay cheap.
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url=url, headers=headers, connector=connector) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return time.perf_counter() - started


def _wait_succeeded(dsn: str, expected: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM hot.run r JOIN hot.event e ON e.event_id = r.event_id "
                               "WHERE e.event_type = 'bench:noop' AND r.status_id = 2").fetchone()
            done = int(row[0]) if row else 0
            if done >= expected or time.monotonic() > deadline:
                return time.perf_counter()
            time.sleep(0.05)


def _latencies_ms(dsn: str, phase: str) -> list[float]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM (r.start_time - e.created_at)) * 1000, "
            "extract(epoch FROM (r.stop_time - e.created_at)) * 1000 FROM hot.run r "
            "JOIN hot.event e ON e.event_id = r.event_id WHERE e.event_type = 'bench:noop' "
            "AND e.event_data->>'phase' = %s AND r.status_id = 2", (phase,)).fetchall()
    return [float(start) for start, _stop in rows]


def run(events: int) -> list[Row]:
    rows: list[Row] = []
    began = time.perf_counter()
    dev = DevPlatform({"noop.hot": NOOP}, include_examples=False).start()
    cold = time.perf_counter() - began
    try:
        rows.append(Row("T7", "hot dev → accepting events, first start", f"{cold:.2f} s", "≤ 6 s", cold <= 6))
        url, key, dsn = dev.state["gateway_url"], dev.state["api_key"], dev.state["database_url"]
        publish_s = asyncio.run(_publish_all(url, key, events, concurrency=32, rate=None, phase="bulk"))
        t0 = time.perf_counter() - publish_s
        finished = _wait_succeeded(dsn, events, timeout=300)
        total = finished - t0
        throughput = events / total
        rows.append(Row("T1", f"events → succeeded runs ({events}, 1 executor)", f"{throughput:,.0f} runs/s",
                        "≥ 2,000 (milestone 500)", throughput >= 2000))
        rows.append(Row("-", "POST /v1/events accepted", f"{events / publish_s:,.0f} events/s", "-", None))
        paced = 300
        asyncio.run(_publish_all(url, key, paced, concurrency=8, rate=100, phase="paced"))
        _wait_succeeded(dsn, events + paced, timeout=120)
        lat = _latencies_ms(dsn, "paced")
        if lat:
            p50, p99 = statistics.median(lat), _percentile(lat, 99)
            rows.append(Row("-", "event committed → run row started, 100/s (DB clocks)",
                            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", "p50 ≤ 5 ms, p99 ≤ 25 ms",
                            p50 <= 5 and p99 <= 25))
    finally:
        dev.stop()
    return rows
