"""A real aiohttp server on a free port, run on its own thread, standing in for a remote HTTP API.

Hot code calls it with `::hot::http` exactly as it would call a remote service; the server records
each request (method, path, query, headers, body) and, for streamed responses, when the client
closed the connection (`closed_at`), so a test can prove a stop closed it promptly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.servers import free_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class SeenRequest:
    """One request as the fake server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeServer:
    """The running server: its base URL and what it saw."""

    url: str
    requests: list[SeenRequest] = field(default_factory=list)
    closed_at: list[float] = field(default_factory=list)
    """`time.monotonic()` when a streaming handler noticed its client gone."""

    def last(self) -> SeenRequest:
        return self.requests[-1]


async def stream_until_closed(request: web.Request, server: FakeServer, first: bytes,
                              content_type: str = "text/event-stream") -> web.StreamResponse:
    """Send `first`, then hold the connection open (never finishing) until the client closes it.

    The server runs with `handler_cancellation`: aiohttp cancels this handler the moment the client's
    connection is lost, which is when `closed_at` is recorded."""
    response = web.StreamResponse(headers={"Content-Type": content_type})
    await response.prepare(request)
    await response.write(first)
    try:
        await asyncio.get_running_loop().create_future()  # never set: only the client's close ends this
    except asyncio.CancelledError:
        server.closed_at.append(time.monotonic())
        raise
    return response


@contextmanager
def fake_http(routes: Callable[[FakeServer], dict[str, Handler]]) -> Iterator[FakeServer]:
    """Serve `routes(server)` (path → handler, any method) on 127.0.0.1; yields the server."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> web.AppRunner:
        app = web.Application()
        server = FakeServer(url="")
        holder["server"] = server

        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            body = await request.read()
            server.requests.append(SeenRequest(request.method, request.path, request.query_string,
                                               dict(request.headers), body))
            return await handler(request)

        app.middlewares.append(record)
        for path, handler in routes(server).items():
            app.router.add_route("*", path, handler)
        runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        server.url = f"http://127.0.0.1:{port}"
        return runner

    def serve() -> None:
        asyncio.set_event_loop(loop)
        holder["runner"] = loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="fake-http", daemon=True)
    thread.start()
    started.wait(10)
    server = holder["server"]
    assert isinstance(server, FakeServer)
    try:
        yield server
    finally:
        runner = holder["runner"]
        assert isinstance(runner, web.AppRunner)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
