"""Live routes (platform-spec §5.5): stream, subscribe-with-event, run and environment SSE,
plus our stream listing and detail (`GET /v1/streams`, `GET /v1/streams/{id}`).

Everything that can fail (unknown stream or project, reserved event type, bad body) is
checked before the response starts, so failures are ordinary JSON error envelopes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from services.core import live
from services.core.errors import Forbidden, Unprocessable
from services.core.ids import new_id
from services.gateway import envelope, params, sse
from services.gateway.auth import principal_of, require_api_key
from services.gateway.fanout import render
from services.gateway.responses import run_response, stream_detail_response, stream_response
from services.gateway.sse_limits import too_many
from services.gateway.state import FANOUT, INGEST, SSE_CHANNELS, SSE_LIMITER, SSE_OPTIONS, STREAMS

stream_routes = web.RouteTableDef()
SseHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def counted(handler: SseHandler) -> SseHandler:
    """Count the connection against the SSE caps for its whole life (refuse it when enforced)."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request)
        limiter = request.app[SSE_LIMITER]
        crossed = limiter.acquire(principal)
        if crossed is not None:
            return too_many(request, crossed)
        try:
            return await handler(request)
        finally:
            limiter.release(principal)

    return wrapper


def allows(permissions: dict[str, list[str]], resource: str, action: str) -> bool:
    """Whether a permission map grants `action` on `resource` (platform-spec §6.1): exact key,
    a key ending in `*` as a prefix, or `*:*`; the action itself or `*`."""
    for key, actions in permissions.items():
        if action not in actions and "*" not in actions:
            continue
        if key in (resource, "*:*") or (key.endswith("*") and resource.startswith(key[:-1])):
            return True
    return False


def _require(request: web.Request, resource: str, action: str) -> None:
    if not allows(principal_of(request).permissions, resource, action):
        raise Forbidden(f"Missing permission {action!r} on {resource!r}")


def _project(request: web.Request) -> str | None:
    return params.query_name(request, "project")


async def _serve(channel: sse.SseChannel, producer: Callable[[], Awaitable[None]] | None,
                 final: bytes | None) -> None:
    """Run the channel until the cap, the client leaves, or `producer` finishes."""
    task: asyncio.Task[None] | None = None
    if producer is not None:
        async def produce() -> None:
            try:
                await producer()
            finally:
                channel.close()
        task = asyncio.create_task(produce())
    try:
        await channel.pump()
        capped = not channel.closed
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    await channel.finish(final if capped else None)


async def _subscribe(request: web.Request, env_id: str, stream_id: str, project: str | None,
                     publish: Callable[[], Awaitable[bytes]] | None = None) -> web.StreamResponse:
    """Join the stream's live group, replay, optionally publish, then stream until the cap."""
    app = request.app
    channel = sse.SseChannel(request, app[SSE_OPTIONS], keepalive=sse.STREAM_KEEPALIVE, label=f"stream {stream_id}",
                             registry=app[SSE_CHANNELS])
    fanout = app[FANOUT]
    member = await fanout.join(env_id, stream_id, project, channel)
    try:
        replay = await app[STREAMS].replay(env_id, stream_id, project, allow_missing=publish is not None)
        first = await publish() if publish is not None else None
        await channel.open()
        if first is not None:
            channel.send(first)
        member.go_live([render(m) for m in replay])
        complete = sse.frame("stream:complete", {"type": "stream:complete", "stream_id": stream_id})
        await _serve(channel, None, complete)
    finally:
        await fanout.leave(env_id, stream_id, project, member)
    return channel.response


@stream_routes.get("/v1/streams/{stream_id}/subscribe")
@stream_routes.post("/v1/streams/{stream_id}/subscribe")
@counted
async def subscribe_stream(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    stream_id = params.path_uuid(request, "stream_id", "Stream")
    _require(request, f"stream:{stream_id}", "read")
    return await _subscribe(request, principal.env_id, stream_id, _project(request))


@stream_routes.post("/v1/streams/subscribe-with-event")
@counted
async def subscribe_with_event(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    body = await params.json_object(request)
    event_type = str(params.body_text(body, "event_type", params.limits(request).max_event_type_length))
    if "event_data" not in body:
        raise Unprocessable("missing field 'event_data'")
    given_stream = params.body_uuid(body, "stream_id")
    stream_id = given_stream or new_id()
    project = _project(request)
    _require(request, f"event:{event_type}", "create")
    if given_stream is not None:
        _require(request, f"stream:{stream_id}", "read")

    async def publish() -> bytes:
        event = await request.app[INGEST].publish_event(principal.env_id, event_type, body["event_data"], stream_id,
                                                        created_by=principal.credential_id)
        return sse.frame("event:published", {"type": "event:published", "event_id": event.event_id,
                                             "stream_id": event.stream_id, "event_type": event.event_type})

    return await _subscribe(request, principal.env_id, stream_id, project, publish)


@stream_routes.get("/v1/runs/{run_id}/subscribe")
@counted
async def subscribe_run(request: web.Request) -> web.StreamResponse:
    env_id = require_api_key(request)
    run_id = params.path_uuid(request, "run_id", "Run")
    runs = request.app[STREAMS].watch_run(env_id, run_id)
    try:
        first = await anext(runs)  # a 404 surfaces here, before the response starts
    except BaseException:
        runs.cancel()
        raise
    channel = sse.SseChannel(request, request.app[SSE_OPTIONS], keepalive=sse.RUN_KEEPALIVE, label=f"run {run_id}",
                             registry=request.app[SSE_CHANNELS])
    await channel.open()

    async def produce() -> None:
        channel.send(sse.frame("run:update", {"type": "run:update", "run": run_response(first)}))
        async for run in runs:
            if not channel.send(sse.frame("run:update", {"type": "run:update", "run": run_response(run)})):
                return

    try:
        await _serve(channel, produce, None)
    finally:
        runs.cancel()
    return channel.response


@stream_routes.get("/v1/env/subscribe")
@counted
async def subscribe_env(request: web.Request) -> web.StreamResponse:
    env_id = require_api_key(request)
    notices = request.app[STREAMS].subscribe_env(env_id)
    try:
        marker = await anext(notices)  # the live subscription is active once this arrives
        if marker.kind != live.REPLAY_DONE:
            raise ConnectionError("unexpected first environment notice")
    except BaseException:
        notices.cancel()
        raise
    channel = sse.SseChannel(request, request.app[SSE_OPTIONS], keepalive=sse.STREAM_KEEPALIVE, label=f"env {env_id}",
                             registry=request.app[SSE_CHANNELS])
    await channel.open()

    async def produce() -> None:
        async for notice in notices:
            if not channel.send(sse.frame_raw(notice.kind, sse.data_line(notice.payload))):
                return

    try:
        await _serve(channel, produce, None)
    finally:
        notices.cancel()
    return channel.response


@stream_routes.get("/v1/streams")
async def list_streams(request: web.Request) -> web.Response:
    principal = principal_of(request)
    page = await request.app[STREAMS].list_streams(principal.env_id, params.page(request))
    return envelope.page_listing(request, [stream_response(s) for s in page.items], page)


@stream_routes.get("/v1/streams/{stream_id}")
async def get_stream(request: web.Request) -> web.Response:
    principal = principal_of(request)
    stream_id = params.path_uuid(request, "stream_id", "Stream")
    detail = await request.app[STREAMS].get_stream(principal.env_id, stream_id)
    fanout = request.app[FANOUT]
    messages, size = fanout.counters(stream_id)
    return envelope.single(request, stream_detail_response(detail, subscribers=fanout.subscribers(stream_id),
                                                           messages_sent=messages, bytes_sent=size))
