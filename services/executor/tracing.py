"""A run's spans: the `hot.run` root and the interpreter's call/flow spans, over OpenTelemetry.

The Hot interpreter reports calls through the small `hotlang.runtime.tracing.Tracer` protocol. Runs
execute in sandbox workers, which record spans as plain records (`services.sandbox.spans`);
`WorkerSpans` turns them into OpenTelemetry SDK spans with the worker's ids, handed to the process's
span processors, so they reach the PostgreSQL span store (`trace_store`) and, when configured, the
OTLP exporter. `RunTracer` is the in-process implementation (the benchmarks' thread path).

`TracingSettings.interpreter_spans` (`HOT_TRACING=off`) turns the interpreter spans off
(programs are then loaded without span hooks and run the generated fast path); the `hot.run`
root span is always recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.trace import Link, SpanContext, Status, StatusCode, TraceFlags

from hotlang.runtime.tracing import Span as HotSpanProtocol
from services.core import model
from services.core.context import Masker

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


def end_run_span(span: trace.Span, status: model.RunStatus, result: object,
                 tracer: RunTracer | WorkerSpans | None) -> None:
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


class RebuiltSpan(SdkSpan):
    """An SDK span rebuilt from a worker's record, with the worker's ids and times (the SDK only
    lets its tracer create a plain `Span`)."""


class WorkerSpans:
    """The interpreter spans of one sandboxed run, rebuilt as OpenTelemetry spans under its `hot.run`.

    Records are kept until `emit` (at the end of the run), then started parents-first, so the span
    store learns each span's run from its parent, and ended. A record whose parent is neither the
    run span nor another record of the run is dropped: a worker cannot graft spans elsewhere.
    """

    def __init__(self, run_span: trace.Span, max_spans: int, masker: Masker | None = None) -> None:
        self._run_span = run_span
        self._masker = masker or Masker()
        self._max = max_spans
        self._records: list[dict[str, Any]] = []
        self.dropped = 0

    def add(self, records: list[dict[str, Any]]) -> None:
        room = self._max - len(self._records)
        self.dropped += max(0, len(records) - room)
        self._records.extend(records[:max(0, room)])

    def emit(self) -> None:
        """Hand every recorded span to the run span's processors (no-op when tracing is not recording)."""
        root = self._run_span
        processor = getattr(root, "_span_processor", None)
        context = root.get_span_context()
        if not isinstance(root, SdkSpan) or processor is None or not context.is_valid:
            return
        records = [self._masked(r) for r in self._records if _valid_record(r)]
        known = {f"{context.span_id:016x}"} | {r["span_id"] for r in records}
        records = [r for r in records if r["parent_id"] in known]
        records.sort(key=lambda r: r["start_ns"])
        flags = TraceFlags(TraceFlags.SAMPLED)
        started = []
        for record in records:
            span = RebuiltSpan(record["name"], SpanContext(context.trace_id, int(record["span_id"], 16), False, flags),
                               parent=SpanContext(context.trace_id, int(record["parent_id"], 16), False, flags),
                               resource=root.resource, attributes=_scalars(record.get("attributes")),
                               span_processor=processor, instrumentation_scope=root.instrumentation_scope)
            span.start(start_time=record["start_ns"])
            for event in record.get("events") or []:
                if isinstance(event, dict) and isinstance(event.get("name"), str):
                    span.add_event(event["name"], _scalars(event.get("attributes")),
                                   timestamp=event.get("time_ns") if isinstance(event.get("time_ns"), int) else None)
            if record.get("status") == "error":
                span.set_status(Status(StatusCode.ERROR, str(record.get("message") or "")))
            started.append((record["end_ns"], span))
        for end_ns, span in sorted(started, key=lambda item: item[0]):
            span.end(end_time=end_ns)
        self._records = []


    def _masked(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with the run's secrets masked in its name, attributes, events and message."""
        if not self._masker:
            return record
        masked = dict(record)
        for field in ("name", "attributes", "events", "message"):
            if field in masked:
                masked[field] = self._masker.value(masked[field])
        return masked


def _valid_record(record: Any) -> bool:
    return (isinstance(record, dict) and isinstance(record.get("name"), str)
            and _hex_id(record.get("span_id")) and _hex_id(record.get("parent_id"))
            and isinstance(record.get("start_ns"), int) and isinstance(record.get("end_ns"), int))


def _hex_id(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 16:
        return False
    try:
        return int(value, 16) != 0
    except ValueError:
        return False


def _scalars(raw: Any) -> dict[str, str | int | bool]:
    """Attributes from a worker: scalar values only."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, (str, int, bool)) and not isinstance(v, float)}
