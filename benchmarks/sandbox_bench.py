"""The cost of process isolation: a trivial Hot call in a sandbox worker pool vs on a thread.

The pool path is what the executor does (`services.sandbox.pool.WorkerPool.run`: a JSON frame to
a pre-started worker, the call, a frame back). The reference, measured in the same run, is the old
in-process path: each call on its own thread in this process, as the executor ran runs before
issue 10 (`ThreadRunner` below, a bench-only runner, not a production option). Rows: per-run
overhead (sequential calls, mean) and runs/s (concurrent calls), against the T1 throughput target
of `docs/targets.md`. Run alone with ``python -m benchmarks.sandbox_bench``.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Any

from benchmarks.table import Row, print_table
from hotlang import Limits, NullHost, Program, load_program
from services.core.config import SandboxSettings
from services.sandbox.pool import RunCall, WorkerPool, run_limits

SOURCE = """
::bench::box ns

handle fn (event) {
  event.data
}
"""
FN = "::bench::box/handle"
ARGS: list[Any] = [{"type": "bench:noop", "data": {"i": 1}}]
SEQUENTIAL = 300
CONCURRENT = 2000
CONCURRENCY = 16
T1_GOAL = 2000.0


class ThreadRunner:
    """The pre-sandbox executor path: one thread per run, in-process (bench only)."""

    def __init__(self, program: Program) -> None:
        self._program = program
        threading.stack_size(64 * 1024 * 1024)

    async def run(self) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def target() -> None:
            value = self._program.call(FN, ARGS, host=NullHost(), limits=Limits(max_seconds=300.0))
            loop.call_soon_threadsafe(future.set_result, value)

        threading.Thread(target=target, daemon=True).start()
        return await future


class NoEffects:
    async def send(self, event_type: str, data: Any, traceparent: str) -> dict[str, Any]:
        raise RuntimeError("the bench does not send")

    async def stream_data(self, data_type: str, payload: Any) -> None:
        return None

    def spans(self, records: list[dict[str, Any]]) -> None:
        return None


async def _measure(call: Any) -> tuple[float, float]:
    """(mean ms per sequential call, calls/s at CONCURRENCY)."""
    for _ in range(20):
        await call()  # warm up: builds loaded, caches filled
    latencies = []
    for _ in range(SEQUENTIAL):
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
    queue = list(range(CONCURRENT))

    async def worker() -> None:
        while queue:
            queue.pop()
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return statistics.mean(latencies), CONCURRENT / (time.perf_counter() - started)


async def _run() -> list[Row]:
    threads = ThreadRunner(load_program({"box.hot": SOURCE}))
    thread_ms, thread_rps = await _measure(threads.run)
    settings = SandboxSettings()

    async def files_of(build_id: str) -> dict[str, str]:
        return {"box.hot": SOURCE}

    pool = WorkerPool(settings, files_of=files_of)
    await pool.start()
    effects = NoEffects()
    call = RunCall("bench", FN, ARGS, run_limits(settings, 300.0), {})

    async def pooled() -> None:
        result = await pool.run(call, effects)
        assert result.status == "ok", result

    try:
        pool_ms, pool_rps = await _measure(pooled)
    finally:
        await pool.close()
    workers = settings.workers
    return [
        Row("T1", f"sandbox pool ({workers} workers): trivial runs/s at {CONCURRENCY} in flight",
            f"{pool_rps:,.0f} runs/s", f">= {T1_GOAL:,.0f} runs/s (the whole platform's T1)", pool_rps >= T1_GOAL),
        Row("T1-ref", "  reference, in-process threads (pre-sandbox path)", f"{thread_rps:,.0f} runs/s", "-", None),
        Row("S1", "sandbox pool: per-run overhead (sequential, mean)", f"{pool_ms:.3f} ms",
            f"reference threads {thread_ms:.3f} ms", None),
    ]


def run() -> list[Row]:
    return asyncio.run(_run())


if __name__ == "__main__":
    print_table(run())
