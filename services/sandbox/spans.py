"""Interpreter spans recorded in a worker as plain records, for the parent to turn into OpenTelemetry.

A worker has no OpenTelemetry and no exporter: `SpanRecorder` implements the interpreter's
`hotlang.runtime.tracing.Tracer` with `RecordedSpan`s whose ids are generated here (the trace id
and the `hot.run` span id come from the parent with the call), and hands finished spans, as
`span_record` dicts, to a `flush` callback in batches. The parent rebuilds them with the same ids
(`services/executor/tracing.py`), so a `send` from inside a traced call carries the traceparent of
the current Hot span (`traceparent`), exactly as in-process tracing did.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from hotlang.runtime.tracing import Span

MAX_EVENTS_PER_SPAN = 32
"""Events recorded per span; later ones are counted in `hot.events_dropped`, not stored."""
FLUSH_EVERY = 64
"""Finished spans are shipped to the parent in batches of this many (and at the end of the run)."""


def new_span_id() -> str:
    """16 hex digits, never all zero (W3C)."""
    while True:
        value = int.from_bytes(os.urandom(8), "big")
        if value:
            return f"{value:016x}"


class RecordedSpan:
    """A Hot call or flow span, recorded as plain data."""

    __slots__ = ("attributes", "dropped", "end_ns", "events", "message", "name", "parent_id", "recorder",
                 "span_id", "start_ns", "status")

    def __init__(self, recorder: SpanRecorder, name: str, parent_id: str,
                 attributes: Mapping[str, str | int | bool]) -> None:
        self.recorder = recorder
        self.name = name
        self.span_id = new_span_id()
        self.parent_id = parent_id
        self.attributes: dict[str, str | int | bool] = dict(attributes)
        self.events: list[dict[str, Any]] = []
        self.dropped = 0
        self.status = "unset"
        self.message = ""
        self.start_ns = time.time_ns()
        self.end_ns = 0

    def set_attribute(self, key: str, value: str | int | bool) -> None:
        self.attributes[key] = value

    def add_event(self, name: str, attributes: Mapping[str, str | int | bool]) -> None:
        if len(self.events) >= MAX_EVENTS_PER_SPAN:
            self.dropped += 1
            return
        self.events.append({"name": name, "time_ns": time.time_ns(), "attributes": dict(attributes)})

    def fail(self, message: str, stack: str) -> None:
        self.status = "error"
        self.message = message
        self.attributes["hot.error.message"] = message
        if stack:
            self.attributes["hot.error.stack"] = stack

    def end(self) -> None:
        self.end_ns = time.time_ns()
        if self.dropped:
            self.attributes["hot.events_dropped"] = self.dropped
        self.recorder.finished(self)


def span_record(span: RecordedSpan) -> dict[str, Any]:
    """The frame form of a finished span."""
    return {"span_id": span.span_id, "parent_id": span.parent_id, "name": span.name, "start_ns": span.start_ns,
            "end_ns": span.end_ns, "status": span.status, "message": span.message,
            "attributes": span.attributes, "events": span.events}


class SpanRecorder:
    """The `Tracer` of one run in a worker: spans without a Hot parent hang off the parent's `hot.run`."""

    def __init__(self, trace_id: str, run_span_id: str, max_spans: int,
                 flush: Callable[[list[dict[str, Any]]], None]) -> None:
        self.trace_id = trace_id
        self.run_span_id = run_span_id
        self._budget = max_spans
        self._flush = flush
        self._done: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.dropped = 0

    def start_span(self, name: str, parent: Span | None,
                   attributes: Mapping[str, str | int | bool]) -> RecordedSpan | None:
        with self._lock:
            if self._budget <= 0:
                self.dropped += 1
                return None
            self._budget -= 1
        parent_id = parent.span_id if isinstance(parent, RecordedSpan) else self.run_span_id
        return RecordedSpan(self, name, parent_id, attributes)

    def finished(self, span: RecordedSpan) -> None:
        with self._lock:
            self._done.append(span_record(span))
            batch = self._take() if len(self._done) >= FLUSH_EVERY else []
        if batch:
            self._flush(batch)

    def flush(self) -> None:
        """Ship every finished span not shipped yet."""
        with self._lock:
            batch = self._take()
        if batch:
            self._flush(batch)

    def _take(self) -> list[dict[str, Any]]:
        batch, self._done = self._done, []
        return batch

    def traceparent(self, span: Span | None) -> str:
        """The W3C context of `span` (the current Hot span), or of the run span when None."""
        span_id = span.span_id if isinstance(span, RecordedSpan) else self.run_span_id
        return f"00-{self.trace_id}-{span_id}-01"
