"""Pulling event pointers from JetStream and acknowledging them once their runs are recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext

from services.core import messaging, model, subjects, wire
from services.executor.runner import EventRunner, Interrupted

log = logging.getLogger(__name__)

FETCH_TIMEOUTS = (NatsTimeoutError, TimeoutError)
"""nats-py reports an empty fetch with its own TimeoutError or, from some paths, asyncio's."""

HEARTBEATS_PER_ACK_WAIT = 3
"""Long runs tell JetStream they are still in progress, so it does not redeliver meanwhile."""


class EventConsumer:
    """Fetches messages from the shared durable consumer and processes up to `concurrency` at once.

    `ack_wait_s` is the consumer's redelivery deadline (`Settings.ack_wait_s`); long runs send
    an in-progress heartbeat `HEARTBEATS_PER_ACK_WAIT` times within it.
    """

    def __init__(self, js: JetStreamContext, runner: EventRunner, *, concurrency: int,
                 ack_wait_s: float = 60.0, shutdown_grace_s: float = 30.0) -> None:
        self._js = js
        self._runner = runner
        self._concurrency = concurrency
        self._ack_wait_s = ack_wait_s
        self._grace_s = shutdown_grace_s
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Pull until `stop` is set, then shut down gracefully (see `shutdown`)."""
        await messaging.ensure_executor_consumer(self._js, ack_wait_s=self._ack_wait_s)
        sub = await self._js.pull_subscribe_bind(subjects.EXECUTOR_CONSUMER, stream=subjects.EVENTS_STREAM)
        while not stop.is_set():
            free = self._concurrency - len(self._tasks)
            if free <= 0:
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
                continue
            # Wait for one message, and start it at once: a long-poll fetch of a larger batch
            # would hold an early message until the batch filled or the poll expired.
            first = await self._fetch(sub, 1, 1.0, stop)
            self._dispatch(first)
            # Then take whatever else is already waiting, up to the free slots.
            if first and free > 1:
                self._dispatch(await self._fetch(sub, free - 1, 0.005, stop))
        await self.shutdown()
        with contextlib.suppress(Exception):
            await sub.unsubscribe()

    @staticmethod
    async def _fetch(sub: JetStreamContext.PullSubscription, batch: int, wait_s: float,
                     stop: asyncio.Event) -> list[Msg]:
        """Up to `batch` messages; [] when none came in time or the fetch failed (NATS reconnects)."""
        try:
            messages: list[Msg] = await sub.fetch(batch, timeout=wait_s)
            return messages
        except FETCH_TIMEOUTS:
            return []
        except Exception as exc:  # noqa: BLE001 - keep pulling; the connection heals itself
            if not stop.is_set():
                log.warning("fetch failed: %s", exc)
                await asyncio.sleep(0.5)
            return []

    def _dispatch(self, messages: list[Msg]) -> None:
        for msg in messages:
            task = asyncio.create_task(self._handle(msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def shutdown(self) -> None:
        """Stop taking work; let in-flight events finish within the grace period; then fail the
        runs still going (their retry policy applies) and leave their messages for redelivery."""
        self._runner.stop_accepting()
        if not self._tasks:
            return
        log.info("waiting up to %.0fs for %d in-flight event(s)", self._grace_s, len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._grace_s)
        if pending:
            count = self._runner.interrupt_all()
            log.warning("grace period over: interrupted %d run(s); their events will be redelivered", count)
            await asyncio.wait(pending, timeout=10)

    async def _handle(self, msg: Msg) -> None:
        try:
            queued = wire.queued_event_from_bytes(msg.data)
        except DecodeError:
            log.error("undecodable message on %s; terminating it", msg.subject)
            await msg.term()
            return
        heartbeat = asyncio.create_task(self._heartbeat(msg))
        try:
            await self._runner.process_event(queued.event_id, redelivered=is_redelivery(msg, queued),
                                             traceparent=queued.traceparent or _header(msg, "traceparent"))
        except Interrupted:
            await _nak(msg, 0.0)
            return
        except Exception:
            # Not acknowledged: JetStream redelivers (at most max_deliver times, then it is dead-lettered).
            log.exception("processing event %s failed; it will be redelivered", queued.event_id)
            await _nak(msg, 1.0)
            return
        finally:
            heartbeat.cancel()
        # The ack comes last: every selected handler now has a terminal or pending_retry row.
        await msg.ack()
        self._runner.counters.events_acked += 1

    async def _heartbeat(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self._ack_wait_s / HEARTBEATS_PER_ACK_WAIT)
            with contextlib.suppress(Exception):
                await msg.in_progress()


def is_redelivery(msg: Msg, queued: model.QueuedEvent) -> bool:
    """Whether earlier deliveries may have run some of the event's handlers.

    A replayed dead letter is a new JetStream message (first delivery) of an event whose
    earlier deliveries ran out: like a redelivery, its crashed runs are reconciled and the
    handlers that already finished are skipped.
    """
    return msg.metadata.num_delivered > 1 or queued.replay


async def _nak(msg: Msg, delay: float) -> None:
    with contextlib.suppress(Exception):
        await msg.nak(delay=delay or None)


def _header(msg: Msg, name: str) -> str:
    return (msg.headers or {}).get(name, "")
