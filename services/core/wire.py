"""The one place where domain objects and protobuf messages are converted.

Every gRPC edge (servicers and the typed clients in `services/core/clients`) calls these
functions; domain code never sees a protobuf message. JSON payloads travel as JSON text
(`docs/decisions/0001-json-as-text-in-protos.md`): `dumps` writes them, `loads_json` reads them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.core import model
from services.core.pb import hot_common_pb2 as pb
from services.core.pb import hot_executor_pb2 as executor_pb
from services.core.pb import hot_ingest_pb2 as ingest_pb
from services.core.pb import hot_scheduler_pb2 as scheduler_pb
from services.core.pb import hot_streams_pb2 as streams_pb
from services.core.pb import hot_traces_pb2 as traces_pb

# ----- scalars ---------------------------------------------------------------------------------


def ts_to_proto(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def ts_from_proto(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _opt_ts(msg: Message, name: str) -> datetime | None:
    return ts_from_proto(getattr(msg, name)) if msg.HasField(name) else None


def _set_opt_ts(msg: Message, name: str, value: datetime | None) -> None:
    if value is not None:
        getattr(msg, name).CopyFrom(ts_to_proto(value))


def _opt(msg: Message, name: str) -> Any:
    return getattr(msg, name) if msg.HasField(name) else None


def dumps(value: Any) -> str:
    """Compact JSON text for payloads on the wire."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def rfc3339(value: datetime) -> str:
    """UTC RFC 3339 with microseconds and a `Z` suffix, as the public API writes timestamps."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ----- events and runs -------------------------------------------------------------------------


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
                       handled=msg.handled, source_run_id=_opt(msg, "source_run_id"))


_RUN_OPTIONAL_IDS = ("build_id", "origin_run_id", "event_id", "project_id", "project_name", "fn_name", "output")


def run_to_proto(run: model.Run) -> pb.Run:
    msg = pb.Run(run_id=run.run_id, env_id=run.env_id, stream_id=run.stream_id,
                 run_type=int(run.run_type), status=int(run.status),  # type: ignore[arg-type]
                 start_time=ts_to_proto(run.start_time), retry_attempt=run.retry_attempt,
                 output_truncated=run.output_truncated)
    for name in _RUN_OPTIONAL_IDS:
        value = getattr(run, name)
        if value is not None:
            setattr(msg, name, value)
    _set_opt_ts(msg, "stop_time", run.stop_time)
    _set_opt_ts(msg, "next_retry_at", run.next_retry_at)
    if run.result is not None:
        msg.result_json = dumps(run.result)
    return msg


def run_from_proto(msg: pb.Run) -> model.Run:
    return model.Run(
        run_id=msg.run_id, env_id=msg.env_id, stream_id=msg.stream_id,
        run_type=model.RunType(msg.run_type), status=model.RunStatus(msg.status),
        start_time=ts_from_proto(msg.start_time), stop_time=_opt_ts(msg, "stop_time"),
        result=json.loads(msg.result_json) if msg.HasField("result_json") else None,
        retry_attempt=msg.retry_attempt, next_retry_at=_opt_ts(msg, "next_retry_at"),
        output_truncated=msg.output_truncated,
        **{name: _opt(msg, name) for name in _RUN_OPTIONAL_IDS},
    )


def queued_event_to_bytes(queued: model.QueuedEvent) -> bytes:
    return executor_pb.QueuedEvent(event_id=queued.event_id, env_id=queued.env_id, traceparent=queued.traceparent,
                                   replay=queued.replay).SerializeToString()


def queued_event_from_bytes(data: bytes) -> model.QueuedEvent:
    """Raises `google.protobuf.message.DecodeError` for bytes that are not a `QueuedEvent`."""
    msg = executor_pb.QueuedEvent()
    msg.ParseFromString(data)
    return model.QueuedEvent(event_id=msg.event_id, env_id=msg.env_id, traceparent=msg.traceparent,
                             replay=msg.replay)


# ----- pages -----------------------------------------------------------------------------------


def page_to_proto(page: model.PageOf[Any]) -> pb.PageInfo:
    return pb.PageInfo(total=page.total, limit=page.page.limit, offset=page.page.offset, has_more=page.has_more)


def page_request_to_proto(page: model.Page) -> pb.PageRequest:
    return pb.PageRequest(limit=page.limit, offset=page.offset)


def page_from_proto(msg: pb.PageRequest | None) -> model.Page:
    if msg is None:
        return model.Page()
    return model.Page.clamp(msg.limit, msg.offset)


def page_of(items: list[Any], info: pb.PageInfo) -> model.PageOf[Any]:
    """A received page: its items and the server's `PageInfo`."""
    return model.PageOf(items, info.total, model.Page(limit=info.limit, offset=info.offset))


# ----- ingest: principals, handlers, deploys, dead letters ---------------------------------------


def principal_to_proto(principal: model.Principal) -> ingest_pb.Principal:
    return ingest_pb.Principal(env_id=principal.env_id, org_id=principal.org_id,
                               credential_id=principal.credential_id, kind=principal.kind,
                               permissions_json=dumps(principal.permissions))


def principal_from_proto(msg: ingest_pb.Principal) -> model.Principal:
    return model.Principal(env_id=msg.env_id, org_id=msg.org_id, credential_id=msg.credential_id,
                           kind=msg.kind, permissions=json.loads(msg.permissions_json or "{}"))


def handler_to_proto(handler: model.Handler) -> pb.EventHandler:
    return pb.EventHandler(event_handler_id=handler.event_handler_id, build_id=handler.build_id,
                           event_type=handler.event_type, ns=handler.ns, var=handler.var,
                           project_id=handler.project_id)


def handler_from_proto(msg: pb.EventHandler) -> model.Handler:
    return model.Handler(event_handler_id=msg.event_handler_id, build_id=msg.build_id, project_id=msg.project_id,
                         event_type=msg.event_type, ns=msg.ns, var=msg.var)


def deploy_result_to_proto(result: model.DeployResult) -> ingest_pb.DeployBuildResponse:
    return ingest_pb.DeployBuildResponse(build_id=result.build_id, project_id=result.project_id,
                                         changed=result.changed, warnings=list(result.warnings),
                                         handlers=[handler_to_proto(h) for h in result.handlers])


def deploy_result_from_proto(msg: ingest_pb.DeployBuildResponse) -> model.DeployResult:
    return model.DeployResult(build_id=msg.build_id, project_id=msg.project_id, changed=msg.changed,
                              handlers=[handler_from_proto(h) for h in msg.handlers], warnings=tuple(msg.warnings))


def context_variable_to_proto(var: model.ContextVariable) -> ingest_pb.ContextVariable:
    msg = ingest_pb.ContextVariable(key=var.key, secret=var.secret, created_at=ts_to_proto(var.created_at),
                                    updated_at=ts_to_proto(var.updated_at), project_id=var.project_id or "",
                                    value_json="" if var.value is None else dumps(var.value))
    if var.description is not None:
        msg.description = var.description
    return msg


def context_variable_from_proto(msg: ingest_pb.ContextVariable) -> model.ContextVariable:
    return model.ContextVariable(key=msg.key, description=msg.description if msg.HasField("description") else None,
                                 secret=msg.secret, created_at=ts_from_proto(msg.created_at),
                                 updated_at=ts_from_proto(msg.updated_at), project_id=msg.project_id or None,
                                 value=json.loads(msg.value_json) if msg.value_json else None)


def dead_letter_to_proto(letter: model.DeadLetter) -> ingest_pb.DeadLetter:
    msg = ingest_pb.DeadLetter(dead_letter_id=letter.dead_letter_id, env_id=letter.env_id,
                               event=event_to_proto(letter.event), deliveries=letter.deliveries,
                               reason=letter.reason, created_at=ts_to_proto(letter.created_at),
                               replay_count=letter.replay_count)
    _set_opt_ts(msg, "replayed_at", letter.replayed_at)
    return msg


def dead_letter_from_proto(msg: ingest_pb.DeadLetter) -> model.DeadLetter:
    return model.DeadLetter(dead_letter_id=msg.dead_letter_id, env_id=msg.env_id, deliveries=msg.deliveries,
                            reason=msg.reason, created_at=ts_from_proto(msg.created_at),
                            replayed_at=_opt_ts(msg, "replayed_at"), replay_count=msg.replay_count,
                            event=event_from_proto(msg.event))


# ----- streams -----------------------------------------------------------------------------------

_STREAM_COUNTS = ("total_runs", "total_events", "total_duration_ms")


def stream_to_proto(stream: model.Stream) -> streams_pb.StreamRecord:
    return streams_pb.StreamRecord(
        stream_id=stream.stream_id, env_id=stream.env_id, created_at=ts_to_proto(stream.created_at),
        started_at=ts_to_proto(stream.started_at), last_activity_at=ts_to_proto(stream.last_activity_at),
        **{name: getattr(stream, name) for name in _STREAM_COUNTS})


def stream_from_proto(msg: streams_pb.StreamRecord) -> model.Stream:
    return model.Stream(
        stream_id=msg.stream_id, env_id=msg.env_id, created_at=ts_from_proto(msg.created_at),
        started_at=ts_from_proto(msg.started_at), last_activity_at=ts_from_proto(msg.last_activity_at),
        **{name: getattr(msg, name) for name in _STREAM_COUNTS})


def stream_detail_to_proto(detail: model.StreamDetail) -> streams_pb.StreamDetail:
    msg = streams_pb.StreamDetail(stream=stream_to_proto(detail.stream), runs=[run_to_proto(r) for r in detail.runs],
                                  events=[event_to_proto(e) for e in detail.events],
                                  live_subscribers=detail.live_subscribers, messages_sent=detail.messages_sent,
                                  bytes_sent=detail.bytes_sent)
    if detail.last_error is not None:
        msg.last_error = detail.last_error
    return msg


def stream_detail_from_proto(msg: streams_pb.StreamDetail) -> model.StreamDetail:
    return model.StreamDetail(stream=stream_from_proto(msg.stream), runs=[run_from_proto(r) for r in msg.runs],
                              events=[event_from_proto(e) for e in msg.events],
                              live_subscribers=msg.live_subscribers, messages_sent=msg.messages_sent,
                              bytes_sent=msg.bytes_sent, last_error=_opt(msg, "last_error"))


def stream_message_to_proto(message: model.StreamMessage) -> streams_pb.StreamMessage:
    out = streams_pb.StreamMessage(kind=message.kind)
    if message.run is not None:
        out.run.CopyFrom(run_to_proto(message.run))
    if message.data is not None:
        d = message.data
        out.data.CopyFrom(streams_pb.StreamData(stream_data_id=d.stream_data_id, run_id=d.run_id,
                                                data_type=d.data_type, payload_json=d.payload_json))
    return out


def stream_message_from_proto(msg: streams_pb.StreamMessage) -> model.StreamMessage:
    if msg.HasField("run"):
        return model.StreamMessage(msg.kind, run=run_from_proto(msg.run))
    if msg.HasField("data"):
        d = msg.data
        return model.StreamMessage(msg.kind, data=model.StreamData(d.stream_data_id, d.run_id, d.data_type,
                                                                   d.payload_json or "null"))
    return model.StreamMessage(msg.kind)


def env_notice_to_proto(notice: model.EnvNotice) -> streams_pb.EnvNotice:
    return streams_pb.EnvNotice(kind=notice.kind, payload_json=dumps(notice.payload) if notice.payload else "")


def env_notice_from_proto(msg: streams_pb.EnvNotice) -> model.EnvNotice:
    payload = json.loads(msg.payload_json) if msg.payload_json else {}
    return model.EnvNotice(msg.kind, payload if isinstance(payload, dict) else {})


_RUN_STATS = ("total_runs", "running", "succeeded", "failed", "cancelled", "pending_retry")


def run_stats_to_proto(stats: model.RunStats) -> streams_pb.RunStatsResponse:
    return streams_pb.RunStatsResponse(**{name: getattr(stats, name) for name in _RUN_STATS})


def run_stats_from_proto(msg: streams_pb.RunStatsResponse) -> model.RunStats:
    return model.RunStats(**{name: getattr(msg, name) for name in _RUN_STATS})


def env_to_proto(env: model.Env) -> streams_pb.Env:
    return streams_pb.Env(env_id=env.env_id, org_id=env.org_id, name=env.name, active=env.active)


def env_from_proto(msg: streams_pb.Env) -> model.Env:
    return model.Env(env_id=msg.env_id, org_id=msg.org_id, name=msg.name, active=msg.active)


# ----- schedules ---------------------------------------------------------------------------------

_KIND_TO_PROTO = {"static": scheduler_pb.SCHEDULE_KIND_STATIC, "dynamic": scheduler_pb.SCHEDULE_KIND_DYNAMIC,
                  "once": scheduler_pb.SCHEDULE_KIND_ONCE}
_KIND_FROM_PROTO = {value: name for name, value in _KIND_TO_PROTO.items()}


def schedule_to_proto(schedule: model.Schedule) -> scheduler_pb.Schedule:
    msg = scheduler_pb.Schedule(
        schedule_id=schedule.schedule_id, env_id=schedule.env_id, project_id=schedule.project_id,
        build_id=schedule.build_id, ns=schedule.ns, var=schedule.var, cron=schedule.cron,
        cron_normalized=schedule.cron_normalized or "", kind=_KIND_TO_PROTO[schedule.kind], active=schedule.active,
        created_at=ts_to_proto(schedule.created_at), expression=schedule.expression)
    _set_opt_ts(msg, "run_at", schedule.run_at)
    _set_opt_ts(msg, "deactivated_at", schedule.deactivated_at)
    _set_opt_ts(msg, "next_fire_at", schedule.next_fire_at)
    if schedule.args is not None:
        msg.args_json = dumps(schedule.args)
    return msg


def schedule_from_proto(msg: scheduler_pb.Schedule) -> model.Schedule:
    return model.Schedule(
        schedule_id=msg.schedule_id, env_id=msg.env_id, project_id=msg.project_id, build_id=msg.build_id,
        ns=msg.ns, var=msg.var, cron=msg.cron, cron_normalized=msg.cron_normalized or None,
        expression=msg.expression, kind=_KIND_FROM_PROTO.get(msg.kind, "static"), active=msg.active,
        args=json.loads(msg.args_json) if msg.HasField("args_json") else None, run_at=_opt_ts(msg, "run_at"),
        created_at=ts_from_proto(msg.created_at), deactivated_at=_opt_ts(msg, "deactivated_at"),
        next_fire_at=_opt_ts(msg, "next_fire_at"))


# ----- traces ------------------------------------------------------------------------------------


def span_to_proto(span: model.TraceSpan) -> traces_pb.Span:
    return traces_pb.Span(
        span_id=span.span_id, trace_id=span.trace_id, parent_span_id=span.parent_span_id or "", name=span.name,
        kind=span.kind, start_time=ts_to_proto(span.start_time), end_time=ts_to_proto(span.end_time),
        duration_us=span.duration_us, status=span.status, status_message=span.status_message or "",
        attributes_json=dumps(span.attributes),
        events=[traces_pb.SpanEvent(name=e.name, time=ts_to_proto(e.time), attributes_json=dumps(e.attributes))
                for e in span.events])


def span_from_proto(msg: traces_pb.Span) -> model.TraceSpan:
    return model.TraceSpan(
        span_id=msg.span_id, trace_id=msg.trace_id, parent_span_id=msg.parent_span_id or None, name=msg.name,
        kind=msg.kind, start_time=ts_from_proto(msg.start_time), end_time=ts_from_proto(msg.end_time),
        duration_us=msg.duration_us, status=msg.status, status_message=msg.status_message or None,
        attributes=json.loads(msg.attributes_json or "{}"),
        events=[model.SpanEvent(e.name, ts_from_proto(e.time), json.loads(e.attributes_json or "{}"))
                for e in msg.events])
