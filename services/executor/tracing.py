"""A run's spans: the `hot.run` root and the interpreter's call/flow spans, over OpenTelemetry.

The Hot interpreter reports calls through the small `hotlang.runtime.tracing.Tracer` protocol; this
module implements it with the process's OpenTelemetry tracer, so the same spans reach the
PostgreSQL span store (`trace_store`) and, when configured, the OTLP exporter.

`TracingSettings.interpreter_spans` (`HOT_TRACING=off`) turns the interpreter spans off
(programs are then loaded without span hooks and run the generated fast path); the `hot.run`
root span is always recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import Link, Status, StatusCode

from hotlang.runtime.tracing import Span as HotSpanProtocol
from services.core import model

MAX_EVENTS_PER_SPAN = 32
"""Bindings recorded per span; later ones are counted in `hot.events_dropped`, not stored."""
MAX_SPANS_PER_RUN = 10_000
"""Interpreter spans recorded per run; later calls run unrecorded, counted in `hot.spans_dropped`."""


class HotSpan:
    """A Hot call or flow span, backed by an OpenTelemetry span."""

    __slots__ = ("dropped", "events", "span")

    def __init__(self, span: trace.Span) -> None:
        self.span = span
        self.events = 0
        self.dropped = 0

    def set_attribute(self, key: str, value: str | int | bool) -> None:
        self.span.set_attribute(key, value)

    def add_event(self, name: str, attributes: Mapping[str, str | int | bool]) -> None:
        if self.events >= MAX_EVENTS_PER_SPAN:
            self.dropped += 1
            return
        self.events += 1
        self.span.add_event(name, attributes)

    def fail(self, message: str, stack: str) -> None:
        self.span.set_status(Status(StatusCode.ERROR, message))
        self.span.set_attribute("hot.error.message", message)
        if stack:
            self.span.set_attribute("hot.error.stack", stack)

    def end(self) -> None:
        if self.dropped:
            self.span.set_attribute("hot.events_dropped", self.dropped)
        self.span.end()


class RunTracer:
    """The `hotlang.runtime.tracing.Tracer` of one run: spans without a Hot parent hang off `hot.run`."""

    def __init__(self, tracer: trace.Tracer, run_span: trace.Span, max_spans: int = MAX_SPANS_PER_RUN) -> None:
        self._tracer = tracer
        self._run_span = run_span
        self._budget = max_spans
        self.dropped = 0

    def start_span(self, name: str, parent: HotSpanProtocol | None,
                   attributes: Mapping[str, str | int | bool]) -> HotSpan | None:
        # Unlocked: `parallel` branches may race by a span or two, which the budget tolerates.
        if self._budget <= 0:
            self.dropped += 1
            return None
        self._budget -= 1
        parent_span = parent.span if isinstance(parent, HotSpan) else self._run_span
        context = trace.set_span_in_context(parent_span)
        return HotSpan(self._tracer.start_span(name, context=context, attributes=attributes))


def start_run_span(tracer: trace.Tracer, run: model.Run, traceparent: str) -> trace.Span:
    """The `hot.run` root: a child of the event's trace context (and linked to it) when there is one."""
    parent = extract({"traceparent": traceparent}) if traceparent else None
    remote = trace.get_current_span(parent).get_span_context() if parent is not None else None
    links = [Link(remote)] if remote is not None and remote.is_valid else None
    attributes: dict[str, str | int] = {
        "hot.run_id": run.run_id, "hot.stream_id": run.stream_id, "hot.run_type": run.run_type.label,
        "hot.event_id": run.event_id or "", "hot.origin_run_id": run.origin_run_id or "",
        "hot.retry_attempt": run.retry_attempt, "hot.fn_name": run.fn_name or "",
    }
    return tracer.start_span("hot.run", context=parent, links=links, attributes=attributes,
                             kind=trace.SpanKind.CONSUMER)


def end_run_span(span: trace.Span, status: model.RunStatus, result: object, tracer: RunTracer | None) -> None:
    """Close the root with the run's outcome: OK, or ERROR with `msg` (cancelled runs are marked)."""
    span.set_attribute("hot.run_status", status.label)
    if tracer is not None and tracer.dropped:
        span.set_attribute("hot.spans_dropped", tracer.dropped)
    if status is model.RunStatus.SUCCEEDED:
        span.set_status(Status(StatusCode.OK))
    else:
        message = ""
        inner = result.get("$val") if isinstance(result, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("msg"), str):
            message = inner["msg"]
        if status is model.RunStatus.CANCELLED:
            span.set_attribute("hot.cancelled", True)
        span.set_status(Status(StatusCode.ERROR, message or status.label))
    span.end()


def traceparent_of(span: trace.Span) -> str:
    """The W3C `traceparent` naming `span` (empty when it is not recording a valid context)."""
    carrier: dict[str, str] = {}
    inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent", "")
