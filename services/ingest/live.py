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

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.core import model, subjects
from services.core.db import Pool
from services.core.wire import dumps
from services.ingest import streams_store
from services.ingest.lifecycle import LIFECYCLE_KINDS, STREAM_DATA, LiveMessage, StreamData

log = logging.getLogger(__name__)

PASS_THROUGH_NOTICES: dict[str, tuple[str, ...]] = {
    "event:created": ("type", "event_id", "env_id", "stream_id", "event_type", "project_id"),
    "event:handled": ("type", "event_id", "env_id", "stream_id", "event_type", "project_id"),
    "stream:created": ("type", "stream_id", "env_id", "project_id"),
}
"""Environment-feed notices forwarded as published on a live subject (platform-spec §5.4), once a
producer announces them; stream subscriptions ignore them."""

MAX_QUEUE = 10_000
"""Messages a subscriber may be behind before it is dropped."""


class Subscriber:
    """One consumer of a topic: a bounded queue the topic fills and the servicer drains."""

    def __init__(self, limit: int = MAX_QUEUE) -> None:
        self._items: deque[Any] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self.overflowed = False

    def offer(self, item: Any) -> None:
        if self.overflowed:
            return
        if len(self._items) >= self._limit:
            self.overflowed = True
            self._items.clear()
        else:
            self._items.append(item)
        self._ready.set()

    async def next_item(self, wait_s: float) -> Any | None:
        """The next item, or None after `wait_s` seconds (or on overflow)."""
        if not self._items and not self.overflowed:
            self._ready.clear()
            try:
                async with asyncio.timeout(wait_s):
                    await self._ready.wait()
            except TimeoutError:
                return None
        if self.overflowed or not self._items:
            return None
        return self._items.popleft()


@dataclass
class StreamCounters:
    """What this process forwarded for one stream (reported by GetStream)."""

    messages: int = 0
    bytes: int = 0


@dataclass
class _Topic:
    subject: str
    subscribers: set[Subscriber] = field(default_factory=set)
    nats_sub: Subscription | None = None
    ready: asyncio.Future[None] | None = None


Handler = Callable[[dict[str, Any]], Awaitable[Any | None]]


class LiveHub:
    """Shares core NATS subscriptions among the gRPC subscribers of this process."""

    def __init__(self, nc: Client, pool: Pool) -> None:
        self._nc = nc
        self._pool = pool
        self._topics: dict[str, _Topic] = {}
        self.counters: dict[str, StreamCounters] = {}

    def subscriber_count(self, env_id: str, stream_id: str) -> int:
        topic = self._topics.get(subjects.live_subject(env_id, stream_id))
        return len(topic.subscribers) if topic else 0

    @asynccontextmanager
    async def stream(self, env_id: str, stream_id: str) -> AsyncIterator[Subscriber]:
        """Live messages of one stream; the NATS subscription is active when this yields."""
        async with self._subscribe(subjects.live_subject(env_id, stream_id), self._stream_message) as sub:
            yield sub

    @asynccontextmanager
    async def env(self, env_id: str) -> AsyncIterator[Subscriber]:
        """Flat lifecycle notices of every stream of the environment."""
        async with self._subscribe(subjects.env_live_subject(env_id), self._env_notice) as sub:
            yield sub

    @asynccontextmanager
    async def _subscribe(self, subject: str, handler: Handler) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber()
        topic = self._topics.get(subject)
        if topic is None:
            topic = _Topic(subject)
            self._topics[subject] = topic
            topic.ready = asyncio.get_running_loop().create_future()
            topic.subscribers.add(subscriber)
            try:
                topic.nats_sub = await self._nc.subscribe(subject, cb=self._callback(topic, handler))
                await self._nc.flush()  # the server has the subscription: nothing published after this is missed
                topic.ready.set_result(None)
            except BaseException as exc:
                self._topics.pop(subject, None)
                if isinstance(exc, Exception):
                    topic.ready.set_exception(exc)
                    topic.ready.exception()  # retrieved: waiting subscribers re-raise it themselves
                else:
                    topic.ready.cancel()
                raise
        else:
            topic.subscribers.add(subscriber)
            assert topic.ready is not None
            await asyncio.shield(topic.ready)
        try:
            yield subscriber
        finally:
            topic.subscribers.discard(subscriber)
            if not topic.subscribers and self._topics.get(subject) is topic:
                del self._topics[subject]
                if topic.nats_sub is not None:
                    try:
                        await topic.nats_sub.unsubscribe()
                    except Exception as exc:  # noqa: BLE001 - connection already closing
                        log.debug("unsubscribe %s failed: %s", subject, exc)

    def _callback(self, topic: _Topic, handler: Handler) -> Callable[[Msg], Awaitable[None]]:
        async def on_message(msg: Msg) -> None:
            if not topic.subscribers:
                return
            try:
                body = json.loads(msg.data)
                if not isinstance(body, dict):
                    return
                item = await handler(body)
            except Exception:
                log.exception("bad live message on %s", msg.subject)
                return
            if item is None:
                return
            for subscriber in list(topic.subscribers):
                subscriber.offer(item)

        return on_message

    async def _read_run(self, body: dict[str, Any]) -> model.Run | None:
        run_id, env_id = body.get("run_id"), body.get("env_id")
        if not isinstance(run_id, str):
            return None
        run = await streams_store.find_run(self._pool, run_id)
        if run is None or run.env_id != env_id:
            return None
        return run

    async def _stream_message(self, body: dict[str, Any]) -> LiveMessage | None:
        kind = body.get("type")
        if kind == STREAM_DATA:
            data = StreamData(stream_data_id=str(body.get("stream_data_id", "")), run_id=str(body.get("run_id", "")),
                              data_type=str(body.get("data_type", "")), payload_json=dumps(body.get("payload")))
            return LiveMessage(STREAM_DATA, data=data)
        if kind in LIFECYCLE_KINDS:
            run = await self._read_run(body)
            return LiveMessage(str(kind), run=run) if run is not None else None
        return None

    async def _env_notice(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        kind = body.get("type")
        if kind in PASS_THROUGH_NOTICES:
            return str(kind), {k: body.get(k) for k in PASS_THROUGH_NOTICES[str(kind)]}
        if kind not in LIFECYCLE_KINDS:
            return None
        run = await self._read_run(body)
        if run is None:
            return None
        return env_notice(str(kind), run)

    def count(self, stream_id: str, size: int) -> None:
        counters = self.counters.get(stream_id)
        if counters is None:
            if len(self.counters) > 100_000:
                self.counters.clear()
            counters = self.counters[stream_id] = StreamCounters()
        counters.messages += 1
        counters.bytes += size


def env_notice(kind: str, run: model.Run) -> tuple[str, dict[str, Any]]:
    """The flat environment-feed payload of a lifecycle change (platform-spec §5.4)."""
    payload: dict[str, Any] = {"type": kind, "run_id": run.run_id, "env_id": run.env_id,
                               "stream_id": run.stream_id, "event_id": run.event_id,
                               "project_id": run.project_id, "fn_name": run.fn_name,
                               "run_type": run.run_type.label}
    if kind != "run:start":
        stop = run.stop_time
        payload["duration_ms"] = int((stop - run.start_time).total_seconds() * 1000) if stop else None
    if kind == "run:fail":
        payload["error"] = streams_store.failure_message(run.result)
    if kind == "run:cancel":
        payload["reason"] = streams_store.failure_message(run.result)
    return kind, payload
