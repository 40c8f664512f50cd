"""`::hot::http` where Hot code really runs: in sandbox worker processes of a `WorkerPool`, with the
operator's `HttpSettings`. The outbound call is a child span of the run's trace and carries its
traceparent; a stop mid-stream closes the connection at once; the default policy refuses loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from services.core.config import HttpSettings, SandboxSettings
from services.sandbox.pool import RunCall, RunResult, WorkerPool, run_limits
from tests.support.fake_http import FakeServer, Handler, fake_http, stream_until_closed
from tests.support.waiting import wait_until_async

SOURCES = """
::w ns

fetch fn (url) {
  resp ::hot::http/get(url)
  {status: resp.status, body: resp.body}
}

hang fn (url) {
  resp ::hot::http/get-stream(url, "sse")
  ::hot::iter/next(resp.body)
  ::hot::iter/next(resp.body)
}
"""
BUILD = "b-http"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
RUN_SPAN_ID = "00f067aa0ba902b7"


class Effects:
    def __init__(self) -> None:
        self.streamed: list[tuple[str, Any]] = []
        self.span_records: list[dict[str, Any]] = []

    async def send(self, event_type: str, data: Any, traceparent: str) -> dict[str, Any]:
        raise AssertionError("no sends here")

    async def stream_data(self, data_type: str, payload: Any) -> None:
        self.streamed.append((data_type, payload))

    def spans(self, records: list[dict[str, Any]]) -> None:
        self.span_records.extend(records)


def routes(server: FakeServer) -> dict[str, Handler]:
    async def hello(request: web.Request) -> web.StreamResponse:
        return web.json_response({"hello": "world"})

    async def hold(request: web.Request) -> web.StreamResponse:
        return await stream_until_closed(request, server, b'data: {"n": 1}\n\n')

    return {"/hello": hello, "/hold": hold}


async def check(condition: bool) -> bool | None:
    return condition or None


async def start_pool(http: HttpSettings) -> WorkerPool:
    async def files_of(build_id: str) -> dict[str, str]:
        return {"w.hot": SOURCES}

    pool = WorkerPool(SandboxSettings(workers=1, memory_mb=512, http=http), files_of=files_of)
    await pool.start()
    return pool


@pytest.fixture
async def local_pool() -> AsyncIterator[WorkerPool]:
    pool = await start_pool(HttpSettings(allow_private=True))
    try:
        yield pool
    finally:
        await pool.close()


async def run(pool: WorkerPool, fn: str, url: str, effects: Effects, *, stop: asyncio.Event | None = None,
              timeout_s: float = 10.0) -> RunResult:
    call = RunCall(BUILD, fn, [url], run_limits(pool.settings, timeout_s), {"run": {"id": "r"}}, traced=True,
                   trace_id=TRACE_ID, run_span_id=RUN_SPAN_ID)
    return await pool.run(call, effects, stop)


async def test_the_call_is_a_child_span_of_the_run_and_the_callee_gets_its_traceparent(
        local_pool: WorkerPool) -> None:
    with fake_http(routes) as server:
        effects = Effects()
        result = await run(local_pool, "::w/fetch", f"{server.url}/hello?api_key=sk-secret", effects)
        assert (result.status, result.value) == ("ok", {"status": 200, "body": {"hello": "world"}})
        traceparent = server.last().headers["traceparent"]
    (http_span,) = [span for span in effects.span_records if span["name"] == "HTTP GET"]
    (fetch_span,) = [span for span in effects.span_records if span["name"] == "::w/fetch"]
    assert traceparent == f"00-{TRACE_ID}-{http_span['span_id']}-01"
    assert http_span["parent_id"] == fetch_span["span_id"]
    attributes = http_span["attributes"]
    assert attributes["http.request.method"] == "GET"
    assert attributes["url.full"] == f"{server.url}/hello?api_key=***"
    assert attributes["http.response.status_code"] == 200
    assert attributes["http.response.body.size"] == len(b'{"hello": "world"}')
    assert attributes["hot.http.duration_ms"] >= 0
    assert "sk-secret" not in str(http_span)  # (the Hot call's own span records its arguments, as any call's)


async def test_a_stop_mid_stream_closes_the_connection_within_a_second(local_pool: WorkerPool) -> None:
    with fake_http(routes) as server:
        effects = Effects()
        stop = asyncio.Event()
        running = asyncio.ensure_future(run(local_pool, "::w/hang", f"{server.url}/hold", effects, stop=stop))
        await wait_until_async(lambda: check(len(effects.streamed) == 1), 20, what="the first event streamed")
        stopped = time.monotonic()
        stop.set()
        await wait_until_async(lambda: check(bool(server.closed_at)), 5, what="the server seeing the connection closed")
        assert server.closed_at[0] - stopped < 1.0
        result = await asyncio.wait_for(running, 10)
    assert result.status == "aborted"
    assert effects.streamed == [("http:sse:event", {"data": {"n": 1}})]


async def test_the_run_time_limit_ends_a_blocked_stream_and_closes_it(local_pool: WorkerPool) -> None:
    with fake_http(routes) as server:
        started = time.monotonic()
        result = await run(local_pool, "::w/hang", f"{server.url}/hold", Effects(), timeout_s=1.0)
        assert result.status == "timeout"
        await wait_until_async(lambda: check(bool(server.closed_at)), 5, what="the server seeing the connection closed")
        assert server.closed_at[0] - started < 2.5


async def test_the_default_policy_refuses_loopback_naming_the_rule() -> None:
    pool = await start_pool(HttpSettings())
    try:
        with fake_http(routes) as server:
            result = await run(pool, "::w/fetch", f"{server.url}/hello", Effects())
            assert server.requests == []
    finally:
        await pool.close()
    assert result.status == "error"
    assert "outbound connection to non-public address 127.0.0.1 is blocked (allow it with " \
           "HOT_HTTP_ALLOW_PRIVATE=1 or HOT_HTTP_ALLOW)" in result.msg
