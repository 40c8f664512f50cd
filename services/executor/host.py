"""What a run's host calls do in the executor: the parent side of a sandboxed run.

The Hot code runs in a sandbox worker (`services.sandbox`); its `send`, stream data and spans
cross the pipe and arrive here (`RunSideEffects`, a `services.sandbox.pool.RunEffects`):
`send` goes to ingest as any event, stream data is published on the stream's live subject, and
spans become OpenTelemetry spans (`tracing.WorkerSpans`). `run_info` is what `info()` returns.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from services.core import ids, live, model, subjects
from services.core.context import Masker
from services.core.wire import rfc3339
from services.executor.retry import RetryPolicy
from services.executor.tracing import WorkerSpans

log = logging.getLogger(__name__)

SendFn = Callable[[str, Any, str, str, str, str], Awaitable[dict[str, Any]]]
"""send(event_type, data, env_id, stream_id, source_run_id, traceparent) -> EventInfo"""
PublishFn = Callable[[str, bytes], Awaitable[None]]


class RunSideEffects:
    """The effects of one run's host calls (see the module docstring)."""

    def __init__(self, run: model.Run, *, send: SendFn, publish: PublishFn, traceparent: str,
                 max_stream_payload_bytes: int, spans: WorkerSpans | None, masker: Masker | None = None) -> None:
        self._run = run
        self.masker = masker or Masker()
        """The run's secret values: masked in what leaves the run (events, stream data, spans)."""
        self._send = send
        self._publish = publish
        self._traceparent = traceparent
        self._max_stream = max_stream_payload_bytes
        self.worker_spans = spans

    async def send(self, event_type: str, data: Any, traceparent: str) -> dict[str, Any]:
        """Publish a child event on the run's stream; it continues the trace of the sending Hot span
        (or of the run, untraced)."""
        run = self._run
        data = self.masker.value(data)
        return await self._send(event_type, data, run.env_id, run.stream_id, run.run_id,
                                traceparent or self._traceparent)

    async def stream_data(self, data_type: str, payload: Any) -> None:
        """Publish a live `stream:data` message (not persisted); the worker checked its size, this
        checks it again on the encoded message, which the worker cannot be trusted to have done."""
        run = self._run
        body = live.encode(live.StreamDataPing(ids.new_id(), run.run_id, run.env_id, run.stream_id,
                                               self.masker.text(data_type), self.masker.value(payload)))
        if len(body) > self._max_stream + 1024:
            log.debug("run %s: dropped a stream data item of %d bytes", run.run_id, len(body))
            return
        await self._publish(subjects.live_subject(run.env_id, run.stream_id), body)

    def spans(self, records: list[dict[str, Any]]) -> None:
        if self.worker_spans is not None:
            self.worker_spans.add(records)

    def secrets(self, values: list[Any]) -> None:
        """Values the run made secret (`::hot::ctx/set-secret`): masked from now on."""
        self.masker.add(values)


def run_info(run: model.Run, event: model.Event, policy: RetryPolicy) -> dict[str, Any]:
    """What `info()` returns inside a run (platform-spec §3.4); sent to the worker with the call."""
    return {
        "run": {"id": run.run_id, "type": run.run_type.label, "status": "running",
                "start-time": rfc3339(run.start_time), "retry-attempt": run.retry_attempt,
                "max-retries": policy.attempts, "retry-delay": policy.delay_ms,
                "origin-run-id": run.origin_run_id, "event-id": run.event_id, "fn": run.fn_name},
        "stream": {"id": run.stream_id},
        "event": {"id": event.event_id, "type": event.event_type},
        "env": {"id": run.env_id},
    }


def event_info(event_id: str, event_type: str, event_time: str, stream_id: str, env_id: str) -> dict[str, Any]:
    """The EventInfo map `send` returns to Hot code."""
    return {"event": {"id": event_id, "type": event_type, "time": event_time},
            "stream": {"id": stream_id}, "env": {"id": env_id}}
