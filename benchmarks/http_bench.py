"""Outbound request overhead of `::hot::http`: a Hot `::hot::http/get` in a sandbox worker vs a bare
httpx request, both against the same local aiohttp server, measured in the same run.

Ours is what a handler pays: the native builds the request, checks the egress policy, resolves and
connects through the guarded pool (kept alive between calls), hands the body over from the I/O
thread, decodes JSON. Per call = (time of N calls − time of 0 calls in the same worker) / N, so the
run's own cost is left out. The reference is a pooled `httpx.Client.get` in this process. Run alone
with ``python -m benchmarks.http_bench``.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from aiohttp import web

from benchmarks.sandbox_bench import NoEffects
from benchmarks.table import Row, print_table
from services.core.config import HttpSettings, SandboxSettings
from services.devtools.stack import free_port
from services.sandbox.pool import RunCall, WorkerPool, run_limits

SOURCE = """
::bench::http ns

many fn (url, n) { reduce(range(0, n), (acc, i) { ::hot::http/get(url).status }, 0) }
"""
CALLS = 300


def _serve(port: int, ready: threading.Event, stop: threading.Event) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.to_thread(stop.wait)  # until the measuring thread is done
        await runner.cleanup()

    asyncio.run(main())


async def _ours(url: str) -> float:
    settings = SandboxSettings(workers=1, http=HttpSettings(allow_private=True))

    async def files_of(build_id: str) -> dict[str, str]:
        return {"http.hot": SOURCE}

    pool = WorkerPool(settings, files_of=files_of)
    await pool.start()
    try:
        async def timed(n: int) -> float:
            call = RunCall("bench-http", "::bench::http/many", [url, n], run_limits(settings, 300.0), {})
            started = time.perf_counter()
            result = await pool.run(call, NoEffects())
            assert result.status == "ok", result
            return time.perf_counter() - started

        await timed(20)  # warm up: build loaded, connection pooled
        empty = min([await timed(0) for _ in range(3)])
        full = min([await timed(CALLS) for _ in range(3)])
    finally:
        await pool.close()
    return (full - empty) / CALLS * 1000


def _bare(url: str) -> float:
    with httpx.Client() as client:
        for _ in range(20):
            client.get(url).json()
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(CALLS):
                client.get(url).json()
            best = min(best, time.perf_counter() - started)
    return best / CALLS * 1000


def run() -> list[Row]:
    port = free_port()
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=_serve, args=(port, ready, stop), daemon=True)
    server.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/"
    try:
        ours = asyncio.run(_ours(url))
        bare = _bare(url)
    finally:
        stop.set()
        server.join(5)
    return [
        Row("H1", "::hot::http/get in a worker: per call, local server (mean of best)", f"{ours:.3f} ms",
            f"bare httpx {bare:.3f} ms (+{ours - bare:.3f} ms)", None),
    ]


if __name__ == "__main__":
    print_table(run())
