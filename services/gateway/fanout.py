"""Sharing one upstream stream subscription among every SSE client of the same stream.

A `Group` holds one `Streams.SubscribeStream` call on ingest (without replay) and renders
each message to SSE bytes once; every member gets the same bytes. A new member joins
the group first (its messages are held back), then fetches its own replay, then goes
live: replay first, then what was held back, de-duplicated by run id, so nothing is lost
or repeated across the hand-over (platform-spec §5.5, §5.6).
"""

from __future__ import annotations

import asyncio
import logging

from services.core import live, model
from services.core.clients import StreamsClient
from services.core.fanout import BoundedQueue, Close, RunOnce, SharedTopics, Topic
from services.gateway import sse
from services.gateway.responses import run_response

log = logging.getLogger(__name__)

MAX_HELD_BACK = 10_000

Key = tuple[str, str, str]
"""(env_id, stream_id, project or "")"""


class Outgoing:
    """A rendered SSE frame plus what de-duplication needs."""

    __slots__ = ("chunk", "frame", "kind", "run_id")

    def __init__(self, kind: str, run_id: str, frame: bytes) -> None:
        self.kind = kind
        self.run_id = run_id
        self.frame = frame
        self.chunk = sse.http_chunk(frame)


def render(message: model.StreamMessage) -> Outgoing:
    """The SSE frame of a stream message (platform-spec §5.4)."""
    if message.run is not None:
        body = {"type": message.kind, "run": run_response(message.run)}
        return Outgoing(message.kind, message.run.run_id, sse.frame(message.kind, body))
    data = message.data or model.StreamData("", "", "", "null")
    line = ('{"type":"stream:data","stream_data_id":' + sse.data_line(data.stream_data_id)
            + ',"run_id":' + sse.data_line(data.run_id)
            + ',"data_type":' + sse.data_line(data.data_type)
            + ',"payload":' + sse.escape_line_breaks(data.payload_json) + "}")
    return Outgoing(message.kind, data.run_id, sse.frame_raw(message.kind, line))


class Member:
    """One SSE client of a group: held back while it replays, then fed directly."""

    def __init__(self, channel: sse.SseChannel) -> None:
        self.channel = channel
        self._held: BoundedQueue[Outgoing] | None = BoundedQueue(MAX_HELD_BACK)
        self._told = RunOnce()

    def deliver(self, out: Outgoing) -> bool:
        """Hand one message to the client; False when the client is gone."""
        if self._held is not None:
            if not self._held.offer(out):
                self.channel.close("too many messages while replaying", abort=True)
                return False
            return True
        return self._emit(out)

    def _emit(self, out: Outgoing) -> bool:
        if out.kind == live.RUN_START and not self._told.first_start(out.run_id):
            return True
        if out.kind in live.TERMINAL_KINDS and not self._told.first_end(out.run_id):
            return True
        return self.channel.send_chunk(out.chunk, len(out.frame))

    def go_live(self, first: list[Outgoing]) -> None:
        """Send `first` (the replay), then what was held back meanwhile; from now on deliver directly."""
        held = self._held.take_all() if self._held is not None else []
        self._held = None
        for out in [*first, *held]:
            if not self._emit(out):
                return


class StreamFanout:
    """Every live stream group of this gateway process: one upstream `SubscribeStream` call (without
    replay) per (environment, stream, project), its frames rendered once for every member."""

    def __init__(self, client: StreamsClient) -> None:
        self._client = client
        self._groups: SharedTopics[Key, Member] = SharedTopics(self._open)
        self.sent: dict[str, tuple[int, int]] = {}

    def subscribers(self, stream_id: str) -> int:
        return sum(len(g.members) for k, g in self._groups.items() if k[1] == stream_id)

    def counters(self, stream_id: str) -> tuple[int, int]:
        """(messages, bytes) written to SSE clients of the stream by this process."""
        messages, size = self.sent.get(stream_id, (0, 0))
        for key, group in self._groups.items():
            if key[1] == stream_id:
                messages += sum(m.channel.messages_sent for m in group.members)
                size += sum(m.channel.bytes_sent for m in group.members)
        return messages, size

    async def join(self, env_id: str, stream_id: str, project: str | None, channel: sse.SseChannel) -> Member:
        """Become a member; returns once the group's live subscription is active."""
        member = Member(channel)
        await self._groups.join((env_id, stream_id, project or ""), member)
        return member

    async def leave(self, env_id: str, stream_id: str, project: str | None, member: Member) -> None:
        messages, size = self.sent.get(stream_id, (0, 0))
        self.sent[stream_id] = (messages + member.channel.messages_sent, size + member.channel.bytes_sent)
        if len(self.sent) > 100_000:
            self.sent.clear()
        await self._groups.leave((env_id, stream_id, project or ""), member)

    async def _open(self, group: Topic[Key, Member]) -> Close:
        task = asyncio.create_task(self._pump(group))

        async def close() -> None:
            task.cancel()

        return close

    async def _pump(self, group: Topic[Key, Member]) -> None:
        env_id, stream_id, project = group.key
        messages = self._client.subscribe(env_id, stream_id, project or None, skip_replay=True)
        try:
            async for message in messages:
                if message.kind == live.REPLAY_DONE:
                    group.set_ready()
                    continue
                out = render(message)
                for member in list(group.members):
                    if not member.deliver(out):
                        group.members.discard(member)
            raise ConnectionError("upstream stream subscription ended")
        except asyncio.CancelledError:
            messages.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - upstream gone: members end, clients reconnect
            if not group.fail(exc):
                log.warning("live subscription of stream %s ended: %s", stream_id, exc)
            for member in list(group.members):
                member.channel.close()
            self._groups.discard(group)
