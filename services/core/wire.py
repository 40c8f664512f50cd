"""The one place where domain objects and protobuf messages are converted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from services.core import model
from services.core.pb import hot_common_pb2 as pb
from services.core.pb import hot_streams_pb2 as streams_pb


def ts_to_proto(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def ts_from_proto(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def dumps(value: Any) -> str:
    """Compact JSON text for payloads on the wire."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def event_to_proto(event: model.Event) -> pb.Event:
    msg = pb.Event(event_id=event.event_id, env_id=event.env_id, stream_id=event.stream_id,
                   event_type=event.event_type, event_data_json=dumps(event.event_data),
                   event_time=ts_to_proto(event.event_time), created_at=ts_to_proto(event.created_at),
                   handled=event.handled)
    if event.source_run_id:
        msg.source_run_id = event.source_run_id
    return msg


def event_from_proto(msg: pb.Event) -> model.Event:
    return model.Event(event_id=msg.event_id, env_id=msg.env_id, stream_id=msg.stream_id,
                       event_type=msg.event_type, event_data=json.loads(msg.event_data_json or "null"),
                       event_time=ts_from_proto(msg.event_time), created_at=ts_from_proto(msg.created_at),
                       handled=msg.handled,
                       source_run_id=msg.source_run_id if msg.HasField("source_run_id") else None)


def run_to_proto(run: model.Run) -> pb.Run:
    msg = pb.Run(run_id=run.run_id, env_id=run.env_id, stream_id=run.stream_id,
                 run_type=int(run.run_type), status=int(run.status),  # type: ignore[arg-type]
                 start_time=ts_to_proto(run.start_time), retry_attempt=run.retry_attempt)
    for name in ("build_id", "origin_run_id", "event_id", "project_id", "project_name", "fn_name"):
        value = getattr(run, name)
        if value is not None:
            setattr(msg, name, value)
    if run.stop_time is not None:
        msg.stop_time.CopyFrom(ts_to_proto(run.stop_time))
    if run.next_retry_at is not None:
        msg.next_retry_at.CopyFrom(ts_to_proto(run.next_retry_at))
    if run.result is not None:
        msg.result_json = dumps(run.result)
    return msg


def run_from_proto(msg: pb.Run) -> model.Run:
    def opt(name: str) -> Any:
        return getattr(msg, name) if msg.HasField(name) else None

    return model.Run(
        run_id=msg.run_id, env_id=msg.env_id, stream_id=msg.stream_id,
        run_type=model.RunType(msg.run_type), status=model.RunStatus(msg.status),
        start_time=ts_from_proto(msg.start_time), build_id=opt("build_id"),
        stop_time=ts_from_proto(msg.stop_time) if msg.HasField("stop_time") else None,
        origin_run_id=opt("origin_run_id"), event_id=opt("event_id"),
        result=json.loads(msg.result_json) if msg.HasField("result_json") else None,
        project_id=opt("project_id"), project_name=opt("project_name"), retry_attempt=msg.retry_attempt,
        next_retry_at=ts_from_proto(msg.next_retry_at) if msg.HasField("next_retry_at") else None,
        fn_name=opt("fn_name"),
    )


def page_to_proto(page: model.PageOf[Any]) -> pb.PageInfo:
    return pb.PageInfo(total=page.total, limit=page.page.limit, offset=page.page.offset, has_more=page.has_more)


def page_from_proto(msg: pb.PageRequest | None) -> model.Page:
    if msg is None:
        return model.Page()
    return model.Page.clamp(msg.limit, msg.offset)


def rfc3339(value: datetime) -> str:
    """UTC RFC 3339 with microseconds and a `Z` suffix, as the public API writes timestamps."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stream_to_proto(stream: model.Stream) -> streams_pb.StreamRecord:
    return streams_pb.StreamRecord(
        stream_id=stream.stream_id, env_id=stream.env_id, created_at=ts_to_proto(stream.created_at),
        started_at=ts_to_proto(stream.started_at), last_activity_at=ts_to_proto(stream.last_activity_at),
        total_runs=stream.total_runs, total_events=stream.total_events, total_duration_ms=stream.total_duration_ms)


def stream_from_proto(msg: streams_pb.StreamRecord) -> model.Stream:
    return model.Stream(
        stream_id=msg.stream_id, env_id=msg.env_id, created_at=ts_from_proto(msg.created_at),
        started_at=ts_from_proto(msg.started_at), last_activity_at=ts_from_proto(msg.last_activity_at),
        total_runs=msg.total_runs, total_events=msg.total_events, total_duration_ms=msg.total_duration_ms)
