"""Enqueueing persisted events on JetStream, and the outbox sweeper that repairs missed publishes.

The event row is committed first; the JetStream publish carries `Nats-Msg-Id = event_id`
so a re-publish by the sweeper is de-duplicated by the server inside its window. An
event whose publish failed (or whose ingest crashed between commit and publish) keeps
`published_at IS NULL` and is found by the sweeper: an acknowledged event is never lost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext

from services.core import model, subjects, wire
from services.core.db import Pool
from services.ingest import store

log = logging.getLogger(__name__)


class EventPublisher:
    """Publishes event pointers to JetStream and records that they were accepted."""

    def __init__(self, js: JetStreamContext, pool: Pool) -> None:
        self._js = js
        self._pool = pool
        self._acked: list[str] = []
        self._acked_waiting = asyncio.Event()

    async def publish(self, event: model.Event, *, traceparent: str = "", replay: int = 0) -> bool:
        """Publish one event; False (and logged) when JetStream did not acknowledge it.

        `replay` > 0 publishes a dead-lettered event again: a distinct de-duplication id, and the
        executor treats it like a redelivery."""
        body = wire.queued_event_to_bytes(model.QueuedEvent(event.event_id, event.env_id, traceparent,
                                                            replay=replay > 0))
        msg_id = event.event_id if not replay else f"{event.event_id}:replay:{replay}"
        try:
            await self._js.publish(subjects.events_subject(event.env_id), body,
                                   headers=_headers(msg_id, traceparent), timeout=5)
        except Exception as exc:  # noqa: BLE001 - the sweeper retries whatever failed here
            log.warning("publish of event %s failed, the outbox sweeper will retry: %s", event.event_id, exc)
            return False
        # Recording the acknowledgement is batched: losing it only means a de-duplicated re-publish.
        if not replay:
            self._acked.append(event.event_id)
        self._acked_waiting.set()
        return True

    async def flush_acked(self) -> None:
        """Record `published_at` for every acknowledged publish collected so far, in one statement."""
        batch, self._acked = self._acked, []
        if batch:
            try:
                await store.mark_published(self._pool, batch)
            except Exception:
                log.exception("recording %d publish acknowledgement(s) failed; the sweeper will re-publish", len(batch))

    async def run_ack_recorder(self, linger_s: float = 0.02) -> None:
        """Flush acknowledged publishes every `linger_s` while there are any."""
        while True:
            await self._acked_waiting.wait()
            self._acked_waiting.clear()
            await asyncio.sleep(linger_s)
            await self.flush_acked()

    async def sweep_once(self, grace: timedelta = timedelta(seconds=5)) -> int:
        """Re-publish events committed more than `grace` ago and never acknowledged; returns the count."""
        events = await store.unpublished_events(self._pool, datetime.now(UTC) - grace)
        published = 0
        for event in events:
            if await self.publish(event):
                published += 1
        if published:
            log.info("outbox sweeper re-published %d event(s)", published)
        return published

    async def run_sweeper(self, interval_s: float = 5.0) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.exception("outbox sweep failed")
            await asyncio.sleep(interval_s)


def _headers(msg_id: str, traceparent: str) -> dict[str, str]:
    """JetStream headers: the de-duplication id, and the W3C trace context when there is one."""
    return {"Nats-Msg-Id": msg_id, "traceparent": traceparent} if traceparent else {"Nats-Msg-Id": msg_id}
