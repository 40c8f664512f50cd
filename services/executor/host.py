"""The host interface a running Hot function gets: `send`, stream data, run info, stop requests.

The interpreter runs on a worker thread; each host call that needs I/O hands it back to
the service's event loop and waits for the answer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from hotlang import HotCancelled
from hotlang.runtime.tracing import current_span, record_event
from services.core import ids, live, model, subjects
from services.core.wire import rfc3339
from services.executor.retry import RetryPolicy
from services.executor.tracing import HotSpan, traceparent_of

SEND_TIMEOUT_S = 30.0
MAX_STREAM_PAYLOAD_BYTES = 256_000

SendFn = Callable[[str, Any, str, str, str, str], Awaitable[dict[str, Any]]]
"""send(event_type, data, env_id, stream_id, source_run_id, traceparent) -> EventInfo"""
PublishFn = Callable[[str, bytes], Awaitable[None]]


class RunHost:
    """Host for one run: knows its run, event, stream and environment (a :class:`hotlang.Host`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, env_id: str, stream_id: str, run: model.Run,
                 event: model.Event, policy: RetryPolicy, send: SendFn, publish: PublishFn,
                 traceparent: str = "") -> None:
        self._loop = loop
        self.env_id = env_id
        self.stream_id = stream_id
        self.run = run
        self.event = event
        self.policy = policy
        self._send = send
        self._publish = publish
        self.stop_requested = threading.Event()
        self.traceparent = traceparent
        """The run span's W3C context: events this run sends continue its trace."""

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        """Publish a child event on this run's stream through ingest; returns its EventInfo."""
        self.check_cancelled()
        # The sent event continues the trace from the Hot call that sends it (or from the run).
        span = current_span()
        traceparent = traceparent_of(span.span) if isinstance(span, HotSpan) else self.traceparent
        pending = self._send(event_type, data, self.env_id, self.stream_id, self.run_id, traceparent)
        future: concurrent.futures.Future[dict[str, Any]] = asyncio.run_coroutine_threadsafe(
            pending, self._loop)  # type: ignore[arg-type]
        return future.result(timeout=SEND_TIMEOUT_S)

    def stream_data(self, data_type: str, payload: Any) -> None:
        """Publish a live `stream:data` message on the stream's subject (not persisted)."""
        self.check_cancelled()
        body = live.encode(live.StreamDataPing(ids.new_id(), self.run_id, self.env_id, self.stream_id, data_type,
                                               payload))
        if len(body) > MAX_STREAM_PAYLOAD_BYTES:
            raise ValueError(f"stream data payload is {len(body)} bytes, over the {MAX_STREAM_PAYLOAD_BYTES} limit")
        record_event("hot.stream.data", {"hot.data_type": data_type})
        subject = subjects.live_subject(self.env_id, self.stream_id)
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._publish(subject, body)))

    def print(self, text: str) -> None:
        sys.stderr.write(f"[run {self.run_id}] {text}")

    def info(self) -> dict[str, Any]:
        """What `info()` returns inside a run (platform-spec §3.4)."""
        run = self.run
        return {
            "run": {"id": run.run_id, "type": run.run_type.label, "status": "running",
                    "start-time": rfc3339(run.start_time), "retry-attempt": run.retry_attempt,
                    "max-retries": self.policy.attempts, "retry-delay": self.policy.delay_ms,
                    "origin-run-id": run.origin_run_id, "event-id": run.event_id, "fn": run.fn_name},
            "stream": {"id": self.stream_id},
            "event": {"id": self.event.event_id, "type": self.event.event_type},
            "env": {"id": self.env_id},
        }

    def now(self) -> datetime:
        """The clock `::hot::time/now` reads: the UTC wall clock."""
        return datetime.now(UTC)

    def request_stop(self) -> None:
        """Ask the run to stop (timeout, cancel, shutdown); the interpreter checks cooperatively."""
        self.stop_requested.set()

    def check_cancelled(self) -> None:
        """Raise inside the run once a stop was requested, so abandoned runs end at their next host call."""
        if self.stop_requested.is_set():
            raise HotCancelled("Run stopped")

    def env(self, name: str) -> str | None:
        """``::hot::env/get`` sees nothing of the executor's environment (no allow-list configured here)."""
        return None


def event_info(event_id: str, event_type: str, event_time: str, stream_id: str, env_id: str) -> dict[str, Any]:
    """The EventInfo map `send` returns to Hot code."""
    return {"event": {"id": event_id, "type": event_type, "time": event_time},
            "stream": {"id": stream_id}, "env": {"id": env_id}}
