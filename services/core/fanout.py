"""Sharing one upstream among many local subscribers: the building block of every live fan-out.

Ingest shares one core NATS subscription per live subject among its gRPC subscribers; the
gateway shares one `Streams.SubscribeStream` call per stream among its SSE clients. Both need
the same three things, kept here:

- `SharedTopics`: the first member of a key opens the upstream, later members wait until it
  is ready (or share its failure), the last one to leave closes it;
- `BoundedQueue`: a member's backlog, which overflows (and is dropped) instead of slowing the
  others;
- `RunOnce`: de-duplication of run lifecycle messages by run id, so a replay, live messages
  and a database poll may overlap without a subscriber seeing a start or an end twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
M = TypeVar("M", bound=Hashable)
T = TypeVar("T")

Close = Callable[[], Awaitable[None]]


@dataclass(eq=False)
class Topic(Generic[K, M]):
    """One shared upstream and its members. `ready` resolves once the upstream delivers."""

    key: K
    members: set[M] = field(default_factory=set)
    ready: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    close: Close | None = None

    def set_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def fail(self, error: BaseException) -> bool:
        """Fail members still waiting; False when the topic was already ready."""
        if self.ready.done():
            return False
        if isinstance(error, Exception):
            self.ready.set_exception(error)
            self.ready.exception()  # retrieved here: each waiting member re-raises it itself
        else:
            self.ready.cancel()
        return True


Open = Callable[[Topic[K, M]], Awaitable[Close]]
"""Start a topic's upstream; it must eventually call `set_ready` or `fail`, and returns how to stop it."""


class SharedTopics(Generic[K, M]):
    """Topics by key, opened by the first member and closed after the last."""

    def __init__(self, open_upstream: Open[K, M]) -> None:
        self._open = open_upstream
        self._topics: dict[K, Topic[K, M]] = {}

    def get(self, key: K) -> Topic[K, M] | None:
        return self._topics.get(key)

    def items(self) -> list[tuple[K, Topic[K, M]]]:
        return list(self._topics.items())

    async def join(self, key: K, member: M) -> Topic[K, M]:
        """Add `member`; returns once the topic's upstream is ready (raises if it could not start)."""
        topic = self._topics.get(key)
        if topic is None:
            topic = Topic(key)
            self._topics[key] = topic
            topic.members.add(member)
            try:
                topic.close = await self._open(topic)
            except BaseException as exc:
                topic.fail(exc)
                self.discard(topic)
                raise
        else:
            topic.members.add(member)
        try:
            await asyncio.shield(topic.ready)
        except BaseException:
            await self.leave(key, member)
            self.discard(topic)
            raise
        return topic

    async def leave(self, key: K, member: M) -> None:
        """Remove `member`; the last member's leaving closes the upstream."""
        topic = self._topics.get(key)
        if topic is None:
            return
        topic.members.discard(member)
        if not topic.members:
            self.discard(topic)
            if topic.close is not None:
                try:
                    await topic.close()
                except Exception as exc:  # noqa: BLE001 - the upstream is going away anyway
                    log.debug("closing the upstream of %s failed: %s", key, exc)

    def discard(self, topic: Topic[K, M]) -> None:
        """Forget a topic whose upstream has ended (its members are told by the caller)."""
        if self._topics.get(topic.key) is topic:
            del self._topics[topic.key]


class BoundedQueue(Generic[T]):
    """A member's backlog: at most `limit` items; one more marks it overflowed and empties it."""

    def __init__(self, limit: int) -> None:
        self._items: deque[T] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self.overflowed = False

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, item: T) -> bool:
        """Queue `item`; False once the queue has overflowed."""
        if self.overflowed:
            return False
        if len(self._items) >= self._limit:
            self.overflowed = True
            self._items.clear()
        else:
            self._items.append(item)
        self._ready.set()
        return not self.overflowed

    def take_all(self) -> list[T]:
        items = list(self._items)
        self._items.clear()
        return items

    async def next_item(self, wait_s: float) -> T | None:
        """The next item, or None after `wait_s` seconds (or on overflow)."""
        if not self._items and not self.overflowed:
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._ready.wait()
        if self.overflowed or not self._items:
            return None
        return self._items.popleft()


class RunOnce:
    """Which runs a subscriber has been told started and ended."""

    def __init__(self) -> None:
        self.started: set[str] = set()
        self.ended: set[str] = set()

    def first_start(self, run_id: str) -> bool:
        """True the first time only."""
        if run_id in self.started:
            return False
        self.started.add(run_id)
        return True

    def first_end(self, run_id: str) -> bool:
        """True the first time only."""
        if run_id in self.ended:
            return False
        self.ended.add(run_id)
        return True
