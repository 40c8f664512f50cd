"""The gateway's typed view of the Streams gRPC service (hosted by ingest)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc

from services.core import model, wire
from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_streams_pb2 as pb
from services.core.pb import hot_streams_pb2_grpc as pb_grpc

CALL_TIMEOUT_S = 10.0
REPLAY_DONE = "replay:done"


@dataclass(frozen=True)
class StreamMessage:
    """A stream subscription message; `kind` is the SSE event name."""

    kind: str
    run: model.Run | None = None
    stream_data_id: str = ""
    run_id: str = ""
    data_type: str = ""
    payload_json: str = "null"


@dataclass(frozen=True)
class StreamDetail:
    stream: model.Stream
    runs: list[model.Run]
    events: list[model.Event]
    live_subscribers: int
    messages_sent: int
    bytes_sent: int
    last_error: str | None


def message_from_proto(msg: pb.StreamMessage) -> StreamMessage:
    if msg.HasField("run"):
        return StreamMessage(msg.kind, run=wire.run_from_proto(msg.run), run_id=msg.run.run_id)
    if msg.HasField("data"):
        d = msg.data
        return StreamMessage(msg.kind, stream_data_id=d.stream_data_id, run_id=d.run_id, data_type=d.data_type,
                             payload_json=d.payload_json or "null")
    return StreamMessage(msg.kind)


class StreamsClient:
    def __init__(self, address: str) -> None:
        # Many server streams share one channel; HTTP/2 multiplexes them.
        self._channel = grpc.aio.insecure_channel(address, options=[("grpc.max_concurrent_streams", 0)])
        self._stub = pb_grpc.StreamsStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    def subscribe(self, env_id: str, stream_id: str, project: str | None, *,
                  skip_replay: bool = False) -> Any:
        """The raw call (iterate it with `messages`; cancel it to stop)."""
        request = pb.SubscribeStreamRequest(env_id=env_id, stream_id=stream_id, project=project or "",
                                            skip_replay=skip_replay, allow_missing=True)
        return self._stub.SubscribeStream(request)

    @staticmethod
    async def messages(call: Any) -> AsyncIterator[StreamMessage]:
        async for msg in call:
            yield message_from_proto(msg)

    async def replay(self, env_id: str, stream_id: str, project: str | None, *,
                     allow_missing: bool = False) -> list[StreamMessage]:
        request = pb.SubscribeStreamRequest(env_id=env_id, stream_id=stream_id, project=project or "",
                                            allow_missing=allow_missing)
        reply = await self._stub.ReplayStream(request, timeout=CALL_TIMEOUT_S)
        return [message_from_proto(m) for m in reply.messages]

    def watch_run(self, env_id: str, run_id: str) -> Any:
        return self._stub.WatchRun(pb.WatchRunRequest(env_id=env_id, run_id=run_id))

    @staticmethod
    async def runs(call: Any) -> AsyncIterator[model.Run]:
        async for msg in call:
            yield wire.run_from_proto(msg)

    def subscribe_env(self, env_id: str) -> Any:
        return self._stub.SubscribeEnv(pb.SubscribeEnvRequest(env_id=env_id))

    @staticmethod
    async def env_notices(call: Any) -> AsyncIterator[tuple[str, str]]:
        async for msg in call:
            yield msg.kind, msg.payload_json

    async def list_streams(self, env_id: str, page: model.Page) -> model.PageOf[model.Stream]:
        msg = await self._stub.ListStreams(
            pb.ListStreamsRequest(env_id=env_id, page=common_pb.PageRequest(limit=page.limit, offset=page.offset)),
            timeout=CALL_TIMEOUT_S)
        return model.PageOf([wire.stream_from_proto(s) for s in msg.streams], msg.page.total,
                            model.Page(limit=msg.page.limit, offset=msg.page.offset))

    async def get_stream(self, env_id: str, stream_id: str) -> StreamDetail:
        msg = await self._stub.GetStream(pb.GetStreamRequest(env_id=env_id, stream_id=stream_id),
                                         timeout=CALL_TIMEOUT_S)
        return StreamDetail(stream=wire.stream_from_proto(msg.stream), runs=[wire.run_from_proto(r) for r in msg.runs],
                            events=[wire.event_from_proto(e) for e in msg.events],
                            live_subscribers=msg.live_subscribers, messages_sent=msg.messages_sent,
                            bytes_sent=msg.bytes_sent,
                            last_error=msg.last_error if msg.HasField("last_error") else None)

    async def run_stats(self, env_id: str) -> dict[str, int]:
        msg = await self._stub.RunStats(pb.RunStatsRequest(env_id=env_id), timeout=CALL_TIMEOUT_S)
        return {"total_runs": msg.total_runs, "running": msg.running, "succeeded": msg.succeeded,
                "failed": msg.failed, "cancelled": msg.cancelled}

    async def get_env(self, env_id: str) -> dict[str, Any]:
        msg = await self._stub.GetEnv(pb.GetEnvRequest(env_id=env_id), timeout=CALL_TIMEOUT_S)
        return {"env_id": msg.env_id, "org_id": msg.org_id, "name": msg.name, "active": msg.active}

    async def list_event_handlers(self, env_id: str, project: str,
                                  page: model.Page) -> model.PageOf[dict[str, Any]]:
        msg = await self._stub.ListEventHandlers(
            pb.ListEventHandlersRequest(env_id=env_id, project=project,
                                        page=common_pb.PageRequest(limit=page.limit, offset=page.offset)),
            timeout=CALL_TIMEOUT_S)
        items = [{"event_handler_id": h.event_handler_id, "build_id": h.build_id, "event_type": h.event_type,
                  "ns": h.ns, "var": h.var} for h in msg.handlers]
        return model.PageOf(items, msg.page.total, model.Page(limit=msg.page.limit, offset=msg.page.offset))


def env_payload(payload_json: str) -> dict[str, Any]:
    value = json.loads(payload_json)
    return value if isinstance(value, dict) else {}
