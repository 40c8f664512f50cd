"""Stored execution traces: the span type and its one conversion to and from protobuf.

A run's trace is the `hot.run` root and its descendants (platform-spec §7); `span_tree`
nests a flat list of spans by `parent_span_id` for readers that want the tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.core.pb import hot_traces_pb2 as pb
from services.core.wire import rfc3339, ts_from_proto, ts_to_proto


@dataclass(frozen=True)
class SpanEvent:
    name: str
    time: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceSpan:
    """One stored span of a run."""

    span_id: str
    trace_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_time: datetime
    end_time: datetime
    duration_us: int
    status: str
    status_message: str | None
    attributes: dict[str, Any]
    events: list[SpanEvent]


def span_to_proto(span: TraceSpan) -> pb.Span:
    return pb.Span(
        span_id=span.span_id, trace_id=span.trace_id, parent_span_id=span.parent_span_id or "", name=span.name,
        kind=span.kind, start_time=ts_to_proto(span.start_time), end_time=ts_to_proto(span.end_time),
        duration_us=span.duration_us, status=span.status, status_message=span.status_message or "",
        attributes_json=json.dumps(span.attributes),
        events=[pb.SpanEvent(name=e.name, time=ts_to_proto(e.time), attributes_json=json.dumps(e.attributes))
                for e in span.events])


def span_from_proto(msg: pb.Span) -> TraceSpan:
    return TraceSpan(
        span_id=msg.span_id, trace_id=msg.trace_id, parent_span_id=msg.parent_span_id or None, name=msg.name,
        kind=msg.kind, start_time=ts_from_proto(msg.start_time), end_time=ts_from_proto(msg.end_time),
        duration_us=msg.duration_us, status=msg.status, status_message=msg.status_message or None,
        attributes=json.loads(msg.attributes_json or "{}"),
        events=[SpanEvent(e.name, ts_from_proto(e.time), json.loads(e.attributes_json or "{}")) for e in msg.events])


def span_json(span: TraceSpan, children: list[dict[str, Any]]) -> dict[str, Any]:
    """The REST form of a span (`children` nested)."""
    return {
        "span_id": span.span_id, "trace_id": span.trace_id, "parent_span_id": span.parent_span_id,
        "name": span.name, "kind": span.kind, "start_time": rfc3339(span.start_time),
        "end_time": rfc3339(span.end_time), "duration_us": span.duration_us, "status": span.status,
        "status_message": span.status_message, "attributes": span.attributes,
        "events": [{"name": e.name, "time": rfc3339(e.time), "attributes": e.attributes} for e in span.events],
        "children": children,
    }


def span_tree(spans: list[TraceSpan]) -> list[dict[str, Any]]:
    """Nest spans under their parents, children in start order; spans whose parent is not stored are roots."""
    ordered = sorted(spans, key=lambda s: (s.start_time, s.span_id))
    known = {span.span_id for span in ordered}
    children: dict[str | None, list[TraceSpan]] = {}
    for span in ordered:
        parent = span.parent_span_id if span.parent_span_id in known else None
        children.setdefault(parent, []).append(span)

    def build(span: TraceSpan) -> dict[str, Any]:
        return span_json(span, [build(child) for child in children.get(span.span_id, [])])

    return [build(root) for root in children.get(None, [])]
