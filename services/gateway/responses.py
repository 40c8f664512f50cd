"""Public JSON shapes (platform-spec §1.5, §6.2) built from domain objects."""

from __future__ import annotations

from typing import Any

from services.core import model, wire
from services.core.wire import rfc3339


def event_response(event: model.Event) -> dict[str, Any]:
    """`EventResponse`: every field present."""
    return {"event_id": event.event_id, "env_id": event.env_id, "stream_id": event.stream_id,
            "event_type": event.event_type, "event_data": event.event_data,
            "event_time": rfc3339(event.event_time), "created_at": rfc3339(event.created_at)}


def run_response(run: model.Run) -> dict[str, Any]:
    """`RunResponse`: nullable ids present as null; result, project and next_retry_at omitted when null."""
    body: dict[str, Any] = {
        "run_id": run.run_id, "env_id": run.env_id, "stream_id": run.stream_id, "build_id": run.build_id,
        "run_type": run.run_type.label, "status": run.status.label, "start_time": rfc3339(run.start_time),
        "stop_time": rfc3339(run.stop_time) if run.stop_time else None, "origin_run_id": run.origin_run_id,
        "event_id": run.event_id,
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
    return body


def dead_letter_response(msg: Any) -> dict[str, Any]:
    """A dead letter (our addition): the event, how often it was delivered, why, and replays."""
    return {
        "dead_letter_id": msg.dead_letter_id, "event": event_response(wire.event_from_proto(msg.event)),
        "deliveries": msg.deliveries, "reason": msg.reason,
        "created_at": rfc3339(wire.ts_from_proto(msg.created_at)),
        "replayed_at": rfc3339(wire.ts_from_proto(msg.replayed_at)) if msg.HasField("replayed_at") else None,
        "replay_count": msg.replay_count,
    }
