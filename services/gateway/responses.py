"""Public JSON shapes (platform-spec §1.5, §6.2, and our documented additions) built from domain objects.

The one place a REST or SSE body is shaped: routes and the SSE fan-out call these, never build
dicts of their own from domain objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.core import model
from services.core.wire import rfc3339


def _time(value: datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


def event_response(event: model.Event) -> dict[str, Any]:
    """`EventResponse`: every field present."""
    return {"event_id": event.event_id, "env_id": event.env_id, "stream_id": event.stream_id,
            "event_type": event.event_type, "event_data": event.event_data,
            "event_time": rfc3339(event.event_time), "created_at": rfc3339(event.created_at)}


def run_response(run: model.Run) -> dict[str, Any]:
    """`RunResponse`: nullable ids present as null; result, project and next_retry_at omitted when null;
    so is `output` (what the run printed), which comes with `output_truncated` when present."""
    body: dict[str, Any] = {
        "run_id": run.run_id, "env_id": run.env_id, "stream_id": run.stream_id, "build_id": run.build_id,
        "run_type": run.run_type.label, "status": run.status.label, "start_time": rfc3339(run.start_time),
        "stop_time": _time(run.stop_time), "origin_run_id": run.origin_run_id, "event_id": run.event_id,
    }
    if run.result is not None:
        body["result"] = run.result
    if run.project_id is not None:
        body["project_id"] = run.project_id
    if run.project_name is not None:
        body["project_name"] = run.project_name
    body["retry_attempt"] = run.retry_attempt
    if run.next_retry_at is not None:
        body["next_retry_at"] = rfc3339(run.next_retry_at)
    if run.output is not None:
        body["output"] = run.output
        body["output_truncated"] = run.output_truncated
    return body


def dead_letter_response(letter: model.DeadLetter) -> dict[str, Any]:
    """A dead letter (our addition): the event, how often it was delivered, why, and replays."""
    return {"dead_letter_id": letter.dead_letter_id, "event": event_response(letter.event),
            "deliveries": letter.deliveries, "reason": letter.reason, "created_at": rfc3339(letter.created_at),
            "replayed_at": _time(letter.replayed_at), "replay_count": letter.replay_count}


def stream_response(stream: model.Stream) -> dict[str, Any]:
    return {"stream_id": stream.stream_id, "env_id": stream.env_id, "created_at": rfc3339(stream.created_at),
            "started_at": rfc3339(stream.started_at), "last_activity_at": rfc3339(stream.last_activity_at),
            "total_runs": stream.total_runs, "total_events": stream.total_events,
            "total_duration_ms": stream.total_duration_ms}


def stream_detail_response(detail: model.StreamDetail, *, subscribers: int, messages_sent: int,
                           bytes_sent: int) -> dict[str, Any]:
    """A stream with its newest runs and events and this gateway's live counters."""
    body = stream_response(detail.stream)
    duration = detail.stream.last_activity_at - detail.stream.started_at
    body.update({
        "duration_ms": max(0, int(duration.total_seconds() * 1000)),
        "runs": [run_response(r) for r in detail.runs],
        "events": [event_response(e) for e in detail.events],
        "live": {"subscribers": subscribers, "messages_sent": messages_sent, "bytes_sent": bytes_sent},
        "last_error": detail.last_error,
    })
    return body


def run_stats_response(stats: model.RunStats) -> dict[str, Any]:
    """`{total_runs, running, succeeded, failed, cancelled}` (platform-spec §6.2)."""
    return {"total_runs": stats.total_runs, "running": stats.running, "succeeded": stats.succeeded,
            "failed": stats.failed, "cancelled": stats.cancelled}


def env_response(env: model.Env) -> dict[str, Any]:
    return {"env_id": env.env_id, "org_id": env.org_id, "name": env.name, "active": env.active}


def handler_response(handler: model.Handler) -> dict[str, Any]:
    return {"event_handler_id": handler.event_handler_id, "build_id": handler.build_id,
            "event_type": handler.event_type, "ns": handler.ns, "var": handler.var}


def schedule_response(s: model.Schedule) -> dict[str, Any]:
    """Upstream's `{schedule_id, build_id, cron, ns, var}` plus our additive fields."""
    return {"schedule_id": s.schedule_id, "build_id": s.build_id, "cron": s.cron, "ns": s.ns, "var": s.var,
            "project_id": s.project_id, "kind": s.kind, "active": s.active, "cron_normalized": s.cron_normalized,
            "args": s.args, "run_at": _time(s.run_at), "next_fire_at": _time(s.next_fire_at),
            "created_at": rfc3339(s.created_at), "deactivated_at": _time(s.deactivated_at)}


def span_response(span: model.TraceSpan, children: list[dict[str, Any]]) -> dict[str, Any]:
    """The REST form of a span (`children` nested)."""
    return {
        "span_id": span.span_id, "trace_id": span.trace_id, "parent_span_id": span.parent_span_id,
        "name": span.name, "kind": span.kind, "start_time": rfc3339(span.start_time),
        "end_time": rfc3339(span.end_time), "duration_us": span.duration_us, "status": span.status,
        "status_message": span.status_message, "attributes": span.attributes,
        "events": [{"name": e.name, "time": rfc3339(e.time), "attributes": e.attributes} for e in span.events],
        "children": children,
    }


def trace_response(spans: list[model.TraceSpan]) -> list[dict[str, Any]]:
    """Spans nested under their parents, children in start order; spans whose parent is not stored are roots."""
    ordered = sorted(spans, key=lambda s: (s.start_time, s.span_id))
    known = {span.span_id for span in ordered}
    children: dict[str | None, list[model.TraceSpan]] = {}
    for span in ordered:
        parent = span.parent_span_id if span.parent_span_id in known else None
        children.setdefault(parent, []).append(span)

    def build(span: model.TraceSpan) -> dict[str, Any]:
        return span_response(span, [build(child) for child in children.get(span.span_id, [])])

    return [build(root) for root in children.get(None, [])]
