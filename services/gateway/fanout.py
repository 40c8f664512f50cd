"""Sharing one upstream stream subscription among every SSE client of the same stream.

A `Group` holds one `Streams.SubscribeStream` call on ingest (without replay) and renders
each message to SSE bytes once; every member gets the same bytes. A new member joins
the group first (its messages are held back), then fetches its own replay, then goes
live: replay first, then what was held back, de-duplicated by run id, so nothing is lost
or repeated across the hand-over (platform-spec §5.5, §5.6).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from services.gateway import sse
from services.gateway.responses import run_response
from services.gateway.streams_client import REPLAY_DONE, StreamMessage, StreamsClient

log = logging.getLogger(__name__)

MAX_HELD_BACK = 10_000
TERMINAL_KINDS = frozenset({"run:stop", "run:fail", "run:cancel"})


@dataclass(frozen=True)
class Outgoing:
    """A rendered SSE frame plus what de-duplication needs."""

    kind: str
    run_id: str
    frame: bytes
    chunk: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunk", sse.http_chunk(self.frame))


def render(message: StreamMessage) -> Outgoing:
    """The SSE frame of a stream message (platform-spec §5.4)."""
    if message.run is not None:
        body = {"type": message.kind, "run": run_response(message.run)}
        return Outgoing(message.kind, message.run.run_id, sse.frame(message.kind, body))
    line = ('{"type":"stream:data","stream_data_id":' + sse.data_line(message.stream_data_id)
            + ',"run_id":' + sse.data_line(message.run_id)
            + ',"data_type":' + sse.data_line(message.data_type)
            + ',"payload":' + sse.escape_line_breaks(message.payload_json) + "}")
    return Outgoing(message.kind, message.run_id, sse.frame_raw(message.kind, line))


class Member:
    """One SSE client of a group."""

    def __init__(self, channel: sse.SseChannel) -> None:
        self.channel = channel
        self._held: list[Outgoing] | None = []
        self._started: set[str] = set()
        self._ended: set[str] = set()

    def deliver(self, out: Outgoing) -> bool:
        """Hand one message to the client; False when the client is gone."""
        if self._held is not None:
            if len(self._held) >= MAX_HELD_BACK:
                self.channel.close("too many messages while replaying", abort=True)
                return False
            self._held.append(out)
            return True
        return self._emit(out)

    def _emit(self, out: Outgoing) -> bool:
        if out.kind == "run:start":
            if out.run_id in self._started:
                return True
            self._started.add(out.run_id)
        elif out.kind in TERMINAL_KINDS:
            if out.run_id in self._ended:
                return True
            self._ended.add(out.run_id)
        return self.channel.send_chunk(out.chunk, len(out.frame))

    def go_live(self, first: list[Outgoing]) -> None:
        """Send `first` (the replay), then what was held back meanwhile; from now on deliver directly."""
        held, self._held = self._held or [], None
        for out in [*first, *held]:
            if not self._emit(out):
                return


@dataclass
class Group:
    key: tuple[str, str, str]
    members: set[Member] = field(default_factory=set)
    ready: asyncio.Future[None] | None = None
    task: asyncio.Task[None] | None = None
    messages: int = 0
    bytes: int = 0


class StreamFanout:
    """Every live stream group of this gateway process."""

    def __init__(self, client: StreamsClient) -> None:
        self._client = client
        self._groups: dict[tuple[str, str, str], Group] = {}
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
        key = (env_id, stream_id, project or "")
        group = self._groups.get(key)
        if group is None:
            group = Group(key)
            group.ready = asyncio.get_running_loop().create_future()
            self._groups[key] = group
            group.task = asyncio.create_task(self._pump(group))
        member = Member(channel)
        group.members.add(member)
        try:
            assert group.ready is not None
            await asyncio.shield(group.ready)
        except BaseException:
            self.leave(env_id, stream_id, project, member)
            raise
        return member

    def leave(self, env_id: str, stream_id: str, project: str | None, member: Member) -> None:
        key = (env_id, stream_id, project or "")
        group = self._groups.get(key)
        if group is None:
            return
        group.members.discard(member)
        messages, size = self.sent.get(stream_id, (0, 0))
        self.sent[stream_id] = (messages + member.channel.messages_sent, size + member.channel.bytes_sent)
        if len(self.sent) > 100_000:
            self.sent.clear()
        if not group.members:
            del self._groups[key]
            if group.task is not None:
                group.task.cancel()

    async def _pump(self, group: Group) -> None:
        env_id, stream_id, project = group.key
        assert group.ready is not None
        call = self._client.subscribe(env_id, stream_id, project or None, skip_replay=True)
        try:
            async for message in self._client.messages(call):
                if message.kind == REPLAY_DONE:
                    if not group.ready.done():
                        group.ready.set_result(None)
                    continue
                out = render(message)
                for member in list(group.members):
                    if not member.deliver(out):
                        group.members.discard(member)
            raise ConnectionError("upstream stream subscription ended")
        except asyncio.CancelledError:
            call.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - upstream gone: members end, clients reconnect
            if not group.ready.done():
                group.ready.set_exception(exc)
                with contextlib.suppress(Exception):
                    group.ready.exception()
            else:
                log.warning("live subscription of stream %s ended: %s", stream_id, exc)
            for member in list(group.members):
                member.channel.close()
            if self._groups.get(group.key) is group:
                del self._groups[group.key]
