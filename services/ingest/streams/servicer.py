"""The Streams gRPC servicer: live stream subscriptions, run watches, the environment feed,
and the read side of streams, run statistics, environments and deployed handlers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from services.core import live, model, wire
from services.core.db import Pool
from services.core.errors import NotFound
from services.core.grpcio import Context, request_env, resource_id, rpc_errors, stream_rpc_errors
from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_streams_pb2 as pb
from services.core.pb import hot_streams_pb2_grpc as pb_grpc
from services.ingest.streams import store
from services.ingest.streams.hub import LiveHub
from services.ingest.streams.lifecycle import LifecycleTracker

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
"""Safety net for lost live pings (platform-spec §5.5)."""
POLL_SETTLE_S = 1.0
"""The poll leaves runs that ended less than this long ago to their live terminal ping."""
WATCH_INTERVAL_S = 0.25
"""How often a run watch re-reads its run (platform-spec §5.4)."""
ENV_FEED_MAX_S = 3600.0


def _changes(run: model.Run) -> tuple[Any, ...]:
    return (run.status, run.stop_time, wire.dumps(run.result), run.retry_attempt, run.next_retry_at)


class StreamsServicer(pb_grpc.StreamsServicer):
    def __init__(self, pool: Pool, hub: LiveHub) -> None:
        self._pool = pool
        self._hub = hub

    async def _resolve(self, request: pb.SubscribeStreamRequest) -> tuple[str, str, str | None]:
        env_id = request_env(request)
        stream_id = resource_id(request.stream_id, "Stream")
        if not request.allow_missing:
            await store.get_stream(self._pool, env_id, stream_id)
        project_id = None
        if request.project:
            project_id = await store.resolve_project(self._pool, env_id, request.project)
        return env_id, stream_id, project_id

    @stream_rpc_errors
    async def SubscribeStream(self, request: pb.SubscribeStreamRequest,
                              context: Context) -> AsyncIterator[pb.StreamMessage]:
        env_id, stream_id, project_id = await self._resolve(request)
        tracker = LifecycleTracker(project_id)
        # Subscribe first, then read PostgreSQL: a change is either in the snapshot or
        # arrives live afterwards (the executor writes the run before it announces it).
        async with self._hub.stream(env_id, stream_id) as queue:
            runs = await store.stream_runs(self._pool, env_id, stream_id, project_id)
            if request.skip_replay:
                tracker.mark_seen(runs)
            else:
                for message in tracker.snapshot(runs):
                    yield wire.stream_message_to_proto(message)
            yield pb.StreamMessage(kind=live.REPLAY_DONE)
            next_poll = time.monotonic() + POLL_INTERVAL_S
            while True:
                item = await queue.next_item(max(0.0, next_poll - time.monotonic()))
                if queue.overflowed:
                    log.warning("dropping a subscriber of stream %s: more than its queue limit behind", stream_id)
                    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber fell too far behind")
                if isinstance(item, model.StreamMessage):
                    out = tracker.live(item)
                elif time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + POLL_INTERVAL_S
                    runs = await store.stream_runs(self._pool, env_id, stream_id, project_id)
                    out = tracker.snapshot(runs, ended_before=datetime.now(UTC) - timedelta(seconds=POLL_SETTLE_S))
                else:
                    continue
                for message in out:
                    proto = wire.stream_message_to_proto(message)
                    self._hub.count(stream_id, proto.ByteSize())
                    yield proto

    @rpc_errors
    async def ReplayStream(self, request: pb.SubscribeStreamRequest, context: Context) -> pb.ReplayStreamResponse:
        env_id, stream_id, project_id = await self._resolve(request)
        runs = await store.stream_runs(self._pool, env_id, stream_id, project_id)
        messages = LifecycleTracker(project_id).snapshot(runs)
        return pb.ReplayStreamResponse(messages=[wire.stream_message_to_proto(m) for m in messages])

    @stream_rpc_errors
    async def WatchRun(self, request: pb.WatchRunRequest, context: Context) -> AsyncIterator[common_pb.Run]:
        env_id = request_env(request)
        run_id = resource_id(request.run_id, "Run")
        last: tuple[Any, ...] | None = None
        while True:
            run = await store.find_run(self._pool, run_id)
            if run is None or run.env_id != env_id:
                raise NotFound("Run not found")
            key = _changes(run)
            if key != last:
                last = key
                yield wire.run_to_proto(run)
                if run.status.terminal:
                    return
            await asyncio.sleep(WATCH_INTERVAL_S)

    @stream_rpc_errors
    async def SubscribeEnv(self, request: pb.SubscribeEnvRequest, context: Context) -> AsyncIterator[pb.EnvNotice]:
        env_id = request_env(request)
        await store.get_env(self._pool, env_id)
        deadline = time.monotonic() + ENV_FEED_MAX_S
        async with self._hub.env(env_id) as queue:
            yield pb.EnvNotice(kind=live.REPLAY_DONE)
            while time.monotonic() < deadline:
                item = await queue.next_item(POLL_INTERVAL_S)
                if queue.overflowed:
                    log.warning("dropping an environment feed subscriber of %s: too far behind", env_id)
                    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber fell too far behind")
                if isinstance(item, model.EnvNotice):
                    yield wire.env_notice_to_proto(item)

    @rpc_errors
    async def ListStreams(self, request: pb.ListStreamsRequest, context: Context) -> pb.ListStreamsResponse:
        page = await store.list_streams(self._pool, request_env(request), wire.page_from_proto(request.page))
        return pb.ListStreamsResponse(streams=[wire.stream_to_proto(s) for s in page.items],
                                      page=wire.page_to_proto(page))

    @rpc_errors
    async def GetStream(self, request: pb.GetStreamRequest, context: Context) -> pb.StreamDetail:
        env_id = request_env(request)
        stream_id = resource_id(request.stream_id, "Stream")
        record = await store.get_stream(self._pool, env_id, stream_id)
        runs = await store.stream_runs(self._pool, env_id, stream_id)
        events = await store.stream_events(self._pool, env_id, stream_id)
        error = await store.last_error(self._pool, env_id, stream_id)
        counters = self._hub.counters.get(stream_id)
        return wire.stream_detail_to_proto(model.StreamDetail(
            stream=record, runs=runs, events=events, live_subscribers=self._hub.subscriber_count(env_id, stream_id),
            messages_sent=counters.messages if counters else 0, bytes_sent=counters.bytes if counters else 0,
            last_error=error))

    @rpc_errors
    async def RunStats(self, request: pb.RunStatsRequest, context: Context) -> pb.RunStatsResponse:
        return wire.run_stats_to_proto(await store.run_stats(self._pool, request_env(request)))

    @rpc_errors
    async def GetEnv(self, request: pb.GetEnvRequest, context: Context) -> pb.Env:
        return wire.env_to_proto(await store.get_env(self._pool, request_env(request)))

    @rpc_errors
    async def ListEventHandlers(self, request: pb.ListEventHandlersRequest,
                                context: Context) -> pb.ListEventHandlersResponse:
        env_id = request_env(request)
        project_id = await store.resolve_project(self._pool, env_id, request.project)
        page = await store.deployed_handlers(self._pool, env_id, project_id, wire.page_from_proto(request.page))
        return pb.ListEventHandlersResponse(handlers=[wire.handler_to_proto(h) for h in page.items],
                                            page=wire.page_to_proto(page))

