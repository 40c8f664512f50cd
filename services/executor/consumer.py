"""Pulling event pointers from JetStream and acknowledging them once their runs are recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext

from services.core import messaging, subjects
from services.core.pb import hot_executor_pb2 as exec_pb
from services.executor.runner import EventRunner

log = logging.getLogger(__name__)


class EventConsumer:
    """Fetches messages from the shared durable consumer and processes up to `concurrency` at once."""

    def __init__(self, js: JetStreamContext, runner: EventRunner, *, concurrency: int) -> None:
        self._js = js
        self._runner = runner
        self._concurrency = concurrency
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        sub = await self._js.pull_subscribe(subjects.EVENTS_SUBJECTS, durable=subjects.EXECUTOR_CONSUMER,
                                            stream=subjects.EVENTS_STREAM,
                                            config=messaging.executor_consumer_config())
        while not stop.is_set():
            free = self._free_slots()
            if free == 0:
                await asyncio.sleep(0.005)
                continue
            try:
                messages = await sub.fetch(free, timeout=1.0)
            except NatsTimeoutError:
                continue
            except Exception as exc:  # noqa: BLE001 - NATS reconnects; keep pulling
                log.warning("fetch failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                task = asyncio.create_task(self._handle(msg))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        await self.drain()
        with contextlib.suppress(Exception):
            await sub.unsubscribe()

    def _free_slots(self) -> int:
        return self._concurrency - len(self._tasks)

    async def drain(self, grace_s: float = 30.0) -> None:
        """Let in-flight events finish; whatever is still running after `grace_s` is redelivered later."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)

    async def _handle(self, msg: Msg) -> None:
        queued = exec_pb.QueuedEvent()
        try:
            queued.ParseFromString(msg.data)
        except Exception:  # noqa: BLE001
            log.error("undecodable message on %s; terminating it", msg.subject)
            await msg.term()
            return
        try:
            await self._runner.process_event(queued.event_id, redelivered=msg.metadata.num_delivered > 1)
        except Exception:
            # Not acknowledged: JetStream redelivers (at most max_deliver times).
            log.exception("processing event %s failed; it will be redelivered", queued.event_id)
            await msg.nak(delay=1.0)
            return
        await msg.ack()
        self._runner.counters.events_acked += 1
