"""Fires go through ingest like any event (`Ingest.PublishEvent`, reserved types allowed);
due retries through `Ingest.EnqueueRetry`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc

from services.core import wire
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc

CALL_TIMEOUT_S = 5.0


class IngestSink:
    """Publishes each fire as a new event on a new stream (empty stream_id)."""

    def __init__(self, address: str, *, created_by: str = "scheduler") -> None:
        self._channel = grpc.aio.insecure_channel(address)
        self._stub = pb_grpc.IngestStub(self._channel)
        self._created_by = created_by

    async def publish(self, env_id: str, event_type: str, data: Any) -> str:
        request = pb.PublishEventRequest(env_id=env_id, event_type=event_type, event_data_json=wire.dumps(data),
                                         allow_reserved=True, created_by=self._created_by)
        if isinstance(data, dict) and data.get("is_backfill") and isinstance(data.get("scheduled_at"), str):
            # A backfilled fire happened late: its event carries the time it was due.
            scheduled = datetime.fromisoformat(data["scheduled_at"].replace("Z", "+00:00"))
            request.event_time.CopyFrom(wire.ts_to_proto(scheduled))
        event = await self._stub.PublishEvent(request, timeout=CALL_TIMEOUT_S)
        return str(event.event_id)

    async def enqueue_retry(self, run_id: str) -> bool:
        response = await self._stub.EnqueueRetry(pb.EnqueueRetryRequest(run_id=run_id), timeout=CALL_TIMEOUT_S)
        return bool(response.enqueued)

    async def close(self) -> None:
        await self._channel.close()
