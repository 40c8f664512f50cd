"""`send` from a running Hot function: the new event goes through ingest like any other.

`IngestEvents.publish_from_run` is the executor's only way to create an event; it calls
`Ingest.PublishEvent` with the sending run as `source_run_id` and the run's trace context,
so the new event's runs continue the sender's trace.
"""

from __future__ import annotations

from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate

from services.core import jsonsafe, wire
from services.core.clients import IngestClient
from services.core.grpcio import error_from_rpc
from services.executor.host import event_info

PUBLISH_TIMEOUT_S = 10.0


class SendRefused(Exception):
    """The event a run sent cannot be accepted (data that cannot be stored, a limit); the run fails with this."""


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
        # Checked here too so the run's failure names the path (ingest checks everything again).
        problem = jsonsafe.find_problem(data, root="data", max_depth=jsonsafe.STORED_MAX_DEPTH)
        if problem is None:
            problem = jsonsafe.string_problem(event_type)
            problem = None if problem is None else f"the event type {problem}"
        if problem is not None:
            raise SendRefused(f"cannot send {event_type!r}: {problem}")
        try:
            event = await self._ingest.publish_event(env_id, event_type, data, stream_id, source_run_id=run_id,
                                                     allow_reserved=True)
        except grpc.aio.AioRpcError as exc:
            refused = error_from_rpc(exc)
            if refused is None:
                raise
            raise SendRefused(f"cannot send {event_type!r}: {refused.message}") from None
        return event_info(event.event_id, event.event_type, wire.rfc3339(event.event_time), event.stream_id,
                          event.env_id)

    async def close(self) -> None:
        await self._ingest.close()
