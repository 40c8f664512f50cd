"""`send` from a running Hot function: the new event goes through ingest like any other.

`IngestEvents.publish_from_run` is the executor's only way to create an event; it calls
`Ingest.PublishEvent` with the sending run as `source_run_id` and the run's trace context,
so the new event's runs continue the sender's trace.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate

from services.core import wire
from services.core.clients import IngestClient
from services.executor.host import event_info

PUBLISH_TIMEOUT_S = 10.0


class IngestEvents:
    """Events published by runs, through ingest's gRPC API at `address`."""

    def __init__(self, address: str, *, timeout_s: float = PUBLISH_TIMEOUT_S) -> None:
        self._ingest = IngestClient(address, timeout_s=timeout_s)

    async def publish_from_run(self, event_type: str, data: Any, env_id: str, stream_id: str, run_id: str,
                               traceparent: str) -> dict[str, Any]:
        """Publish an event on the run's stream (reserved `hot:*` types allowed); returns the
        EventInfo map `send` gives Hot code. Matches `host.SendFn`."""
        # Called in its own task (a context copy): the sending run's span becomes the RPC's parent.
        otel_context.attach(propagate.extract({"traceparent": traceparent}))
        event = await self._ingest.publish_event(env_id, event_type, data, stream_id, source_run_id=run_id,
                                                 allow_reserved=True)
        return event_info(event.event_id, event.event_type, wire.rfc3339(event.event_time), event.stream_id,
                          event.env_id)

    async def close(self) -> None:
        await self._ingest.close()
