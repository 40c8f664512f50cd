"""Core NATS live subscriptions shared by every gRPC subscriber of this ingest process.

One NATS subscription per subject in use (a stream's `hot.live.<env>.<stream>`, or an
environment's `hot.live.<env>.*`), created when its first subscriber arrives and removed
when the last one leaves. Lifecycle pings carry only ids: the run is re-read from
PostgreSQL once per ping and the result handed to every subscriber. NATS delivers one
subscription's messages to its callback one at a time, so per-stream order is kept.

Each subscriber has a bounded queue; a subscriber that falls too far behind is marked
overflowed and dropped by its servicer, so it never slows the others.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from services.core import live, model, subjects
from services.core.db import Pool
from services.core.fanout import BoundedQueue, Close, SharedTopics, Topic
from services.ingest.streams import store

log = logging.getLogger(__name__)

MAX_QUEUE = 10_000
"""Messages a subscriber may be behind before it is dropped."""

Subscriber = BoundedQueue[Any]
"""One consumer of a subject: a bounded queue the subject fills and the servicer drains."""

Translate = Callable[[live.LiveMessage], Awaitable[Any | None]]
"""What subscribers of a subject receive for one live message (None: nothing)."""


@dataclass
class StreamCounters:
    """What this process forwarded for one stream (reported by GetStream)."""

    messages: int = 0
    bytes: int = 0


class LiveHub:
    """Shares core NATS subscriptions among the gRPC subscribers of this process."""

    def __init__(self, nc: Client, pool: Pool) -> None:
        self._nc = nc
        self._pool = pool
        self._streams: SharedTopics[str, Subscriber] = SharedTopics(self._opener(self._stream_message))
        self._envs: SharedTopics[str, Subscriber] = SharedTopics(self._opener(self._env_notice))
        self.counters: dict[str, StreamCounters] = {}

    def subscriber_count(self, env_id: str, stream_id: str) -> int:
        topic = self._streams.get(subjects.live_subject(env_id, stream_id))
        return len(topic.members) if topic else 0

    @asynccontextmanager
    async def stream(self, env_id: str, stream_id: str) -> AsyncIterator[Subscriber]:
        """Live messages of one stream; the NATS subscription is active when this yields."""
        async with self._member(self._streams, subjects.live_subject(env_id, stream_id)) as sub:
            yield sub

    @asynccontextmanager
    async def env(self, env_id: str) -> AsyncIterator[Subscriber]:
        """Flat lifecycle notices of every stream of the environment."""
        async with self._member(self._envs, subjects.env_live_subject(env_id)) as sub:
            yield sub

    @staticmethod
    @asynccontextmanager
    async def _member(topics: SharedTopics[str, Subscriber], subject: str) -> AsyncIterator[Subscriber]:
        subscriber: Subscriber = BoundedQueue(MAX_QUEUE)
        await topics.join(subject, subscriber)
        try:
            yield subscriber
        finally:
            await topics.leave(subject, subscriber)

    def _opener(self, translate: Translate) -> Callable[[Topic[str, Subscriber]], Awaitable[Close]]:
        async def open_subject(topic: Topic[str, Subscriber]) -> Close:
            subscription = await self._nc.subscribe(topic.key, cb=self._callback(topic, translate))
            await self._nc.flush()  # the server has the subscription: nothing published after this is missed
            topic.set_ready()
            return subscription.unsubscribe

        return open_subject

    def _callback(self, topic: Topic[str, Subscriber], translate: Translate) -> Callable[[Msg], Awaitable[None]]:
        async def on_message(msg: Msg) -> None:
            if not topic.members:
                return
            message = live.decode_live(msg.data)
            if message is None:
                return
            try:
                item = await translate(message)
            except Exception:
                log.exception("bad live message on %s", msg.subject)
                return
            if item is None:
                return
            for subscriber in list(topic.members):
                subscriber.offer(item)

        return on_message

    async def _read_run(self, ping: live.RunPing) -> model.Run | None:
        run = await store.find_run(self._pool, ping.run_id)
        if run is None or run.env_id != ping.env_id:
            return None
        return run

    async def _stream_message(self, message: live.LiveMessage) -> model.StreamMessage | None:
        if isinstance(message, live.StreamDataPing):
            return model.StreamMessage(live.STREAM_DATA, data=message.as_stream_data())
        if isinstance(message, live.RunPing):
            run = await self._read_run(message)
            return model.StreamMessage(message.kind, run=run) if run is not None else None
        return None

    async def _env_notice(self, message: live.LiveMessage) -> model.EnvNotice | None:
        if isinstance(message, live.Notice):
            return model.EnvNotice(message.kind, {"type": message.kind, **message.fields})
        if not isinstance(message, live.RunPing):
            return None
        run = await self._read_run(message)
        return env_notice(message.kind, run) if run is not None else None

    def count(self, stream_id: str, size: int) -> None:
        counters = self.counters.get(stream_id)
        if counters is None:
            if len(self.counters) > 100_000:
                self.counters.clear()
            counters = self.counters[stream_id] = StreamCounters()
        counters.messages += 1
        counters.bytes += size


def env_notice(kind: str, run: model.Run) -> model.EnvNotice:
    """The flat environment-feed payload of a lifecycle change (platform-spec §5.4)."""
    payload: dict[str, Any] = {"type": kind, "run_id": run.run_id, "env_id": run.env_id,
                               "stream_id": run.stream_id, "event_id": run.event_id,
                               "project_id": run.project_id, "fn_name": run.fn_name,
                               "run_type": run.run_type.label}
    if kind != live.RUN_START:
        stop = run.stop_time
        payload["duration_ms"] = int((stop - run.start_time).total_seconds() * 1000) if stop else None
    if kind == live.RUN_FAIL:
        payload["error"] = store.failure_message(run.result)
    if kind == live.RUN_CANCEL:
        payload["reason"] = store.failure_message(run.result)
    return model.EnvNotice(kind, payload)
