"""Fires go through ingest like any event (`Ingest.PublishEvent`, reserved types allowed);
due retries through `Ingest.EnqueueRetry`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.core.clients import IngestClient

CALL_TIMEOUT_S = 5.0


class IngestSink:
    """Publishes each fire as a new event on a new stream (empty stream_id)."""

    def __init__(self, address: str, *, created_by: str = "scheduler") -> None:
        self._ingest = IngestClient(address, timeout_s=CALL_TIMEOUT_S)
        self._created_by = created_by

    async def publish(self, env_id: str, event_type: str, data: Any) -> str:
        event_time: datetime | None = None
        if isinstance(data, dict) and data.get("is_backfill") and isinstance(data.get("scheduled_at"), str):
            # A backfilled fire happened late: its event carries the time it was due.
            event_time = datetime.fromisoformat(data["scheduled_at"].replace("Z", "+00:00"))
        event = await self._ingest.publish_event(env_id, event_type, data, created_by=self._created_by,
                                                 allow_reserved=True, event_time=event_time)
        return event.event_id

    async def enqueue_retry(self, run_id: str) -> bool:
        return await self._ingest.enqueue_retry(run_id)

    async def close(self) -> None:
        await self._ingest.close()
