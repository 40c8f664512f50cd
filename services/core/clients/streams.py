"""The typed client of the Streams gRPC service: live subscriptions and the read side of streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, TypeVar

from services.core import model, wire
from services.core.clients.channel import Client
from services.core.pb import hot_streams_pb2 as pb
from services.core.pb import hot_streams_pb2_grpc as pb_grpc

T = TypeVar("T")


class ServerStream(Generic[T]):
    """A server-streaming call whose messages arrive as domain objects; `cancel` ends it."""

    def __init__(self, call: Any, convert: Callable[[Any], T]) -> None:
        self._call = call
        self._convert = convert
        self._messages = self._read()

    async def _read(self) -> AsyncIterator[T]:
        async for msg in self._call:
            yield self._convert(msg)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._messages

    async def __anext__(self) -> T:
        return await anext(self._messages)

    def cancel(self) -> None:
        self._call.cancel()


class StreamsClient(Client):
    def __init__(self, address: str, **options: Any) -> None:
        # Many server streams share one channel; HTTP/2 multiplexes them.
        super().__init__(address, many_streams=True, **options)
        self._stub = pb_grpc.StreamsStub(self._channel)

    def subscribe(self, env_id: str, stream_id: str, project: str | None = None, *, skip_replay: bool = False,
                  allow_missing: bool = True) -> ServerStream[model.StreamMessage]:
        """Replay (unless `skip_replay`), the `replay:done` marker, then live messages."""
        request = pb.SubscribeStreamRequest(env_id=env_id, stream_id=stream_id, project=project or "",
                                            skip_replay=skip_replay, allow_missing=allow_missing)
        return ServerStream(self._stub.SubscribeStream(request), wire.stream_message_from_proto)

    async def replay(self, env_id: str, stream_id: str, project: str | None = None, *,
                     allow_missing: bool = False) -> list[model.StreamMessage]:
        request = pb.SubscribeStreamRequest(env_id=env_id, stream_id=stream_id, project=project or "",
                                            allow_missing=allow_missing)
        reply = await self._stub.ReplayStream(request, timeout=self.timeout_s)
        return [wire.stream_message_from_proto(m) for m in reply.messages]

    def watch_run(self, env_id: str, run_id: str) -> ServerStream[model.Run]:
        """The run now, then each change until it is terminal."""
        return ServerStream(self._stub.WatchRun(pb.WatchRunRequest(env_id=env_id, run_id=run_id)),
                            wire.run_from_proto)

    def subscribe_env(self, env_id: str) -> ServerStream[model.EnvNotice]:
        """The `replay:done` marker once live, then the environment's notices."""
        return ServerStream(self._stub.SubscribeEnv(pb.SubscribeEnvRequest(env_id=env_id)),
                            wire.env_notice_from_proto)

    async def list_streams(self, env_id: str, page: model.Page) -> model.PageOf[model.Stream]:
        msg = await self._stub.ListStreams(
            pb.ListStreamsRequest(env_id=env_id, page=wire.page_request_to_proto(page)), timeout=self.timeout_s)
        return wire.page_of([wire.stream_from_proto(s) for s in msg.streams], msg.page)

    async def get_stream(self, env_id: str, stream_id: str) -> model.StreamDetail:
        msg = await self._stub.GetStream(pb.GetStreamRequest(env_id=env_id, stream_id=stream_id),
                                         timeout=self.timeout_s)
        return wire.stream_detail_from_proto(msg)

    async def run_stats(self, env_id: str) -> model.RunStats:
        msg = await self._stub.RunStats(pb.RunStatsRequest(env_id=env_id), timeout=self.timeout_s)
        return wire.run_stats_from_proto(msg)

    async def get_env(self, env_id: str) -> model.Env:
        return wire.env_from_proto(await self._stub.GetEnv(pb.GetEnvRequest(env_id=env_id), timeout=self.timeout_s))

    async def list_event_handlers(self, env_id: str, project: str,
                                  page: model.Page) -> model.PageOf[model.Handler]:
        msg = await self._stub.ListEventHandlers(
            pb.ListEventHandlersRequest(env_id=env_id, project=project, page=wire.page_request_to_proto(page)),
            timeout=self.timeout_s)
        return wire.page_of([wire.handler_from_proto(h) for h in msg.handlers], msg.page)
