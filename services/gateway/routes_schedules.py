"""REST for schedules (platform-spec §6.2 and our additions), over the Scheduler gRPC service.

- `GET /v1/projects/{project}/schedules`: schedules of the project's deployed build (id or name),
  ordered by cron, ns, var; `limit` / `offset`.
- `POST /v1/schedules` `{project, fn, schedule, args?}`: a dynamic schedule on the project's
  deployed build (same parse order as `hot:schedule:new`) → 201.
- `GET /v1/schedules/{id}`, `DELETE /v1/schedules/{id}` → `{schedule_id, cancelled}`.
All need an API key (sessions get 403). The scheduler's address comes from `HOT_SCHEDULER_ADDR`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import grpc
from aiohttp import web

from services.core import model, wire
from services.core.errors import Forbidden, Unavailable, Unprocessable
from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc
from services.core.wire import rfc3339
from services.gateway import envelope, params
from services.gateway.auth import principal_of

CALL_TIMEOUT_S = 10.0
_KINDS = {pb.SCHEDULE_KIND_STATIC: "static", pb.SCHEDULE_KIND_DYNAMIC: "dynamic", pb.SCHEDULE_KIND_ONCE: "once"}


@dataclass(frozen=True)
class ScheduleInfo:
    schedule_id: str
    project_id: str
    build_id: str
    ns: str
    var: str
    cron: str
    cron_normalized: str | None
    kind: str
    active: bool
    args: Any
    run_at: datetime | None
    next_fire_at: datetime | None
    created_at: datetime
    deactivated_at: datetime | None


def schedule_from_proto(msg: pb.Schedule) -> ScheduleInfo:
    def ts(name: str) -> datetime | None:
        return wire.ts_from_proto(getattr(msg, name)) if msg.HasField(name) else None

    return ScheduleInfo(
        schedule_id=msg.schedule_id, project_id=msg.project_id, build_id=msg.build_id, ns=msg.ns, var=msg.var,
        cron=msg.cron, cron_normalized=msg.cron_normalized or None, kind=_KINDS.get(msg.kind, "static"),
        active=msg.active, args=json.loads(msg.args_json) if msg.HasField("args_json") else None,
        run_at=ts("run_at"), next_fire_at=ts("next_fire_at"), created_at=wire.ts_from_proto(msg.created_at),
        deactivated_at=ts("deactivated_at"))


def schedule_response(s: ScheduleInfo) -> dict[str, Any]:
    """Upstream's `{schedule_id, build_id, cron, ns, var}` plus our additive fields."""
    def opt(value: datetime | None) -> str | None:
        return rfc3339(value) if value else None

    return {"schedule_id": s.schedule_id, "build_id": s.build_id, "cron": s.cron, "ns": s.ns, "var": s.var,
            "project_id": s.project_id, "kind": s.kind, "active": s.active, "cron_normalized": s.cron_normalized,
            "args": s.args, "run_at": opt(s.run_at), "next_fire_at": opt(s.next_fire_at),
            "created_at": rfc3339(s.created_at), "deactivated_at": opt(s.deactivated_at)}


class SchedulerClient:
    """The gateway's typed view of the Scheduler gRPC service."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._channel = grpc.aio.insecure_channel(address) if address else None
        self._stub = pb_grpc.SchedulerStub(self._channel) if self._channel else None

    def _ready(self) -> pb_grpc.SchedulerStub:
        if self._stub is None:
            raise Unavailable("The scheduler is not configured (HOT_SCHEDULER_ADDR)")
        return self._stub

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()

    async def list_schedules(self, env_id: str, project: str, page: model.Page) -> model.PageOf[ScheduleInfo]:
        msg = await self._ready().ListSchedules(pb.ListSchedulesRequest(
            env_id=env_id, project=project, page=common_pb.PageRequest(limit=page.limit, offset=page.offset)),
            timeout=CALL_TIMEOUT_S)
        return model.PageOf([schedule_from_proto(s) for s in msg.schedules], msg.page.total,
                            model.Page(limit=msg.page.limit, offset=msg.page.offset))

    async def create_schedule(self, env_id: str, project: str, fn: str, args: Any, schedule: str) -> ScheduleInfo:
        request = pb.CreateScheduleRequest(env_id=env_id, project=project, fn=fn, schedule=schedule,
                                           args_json="" if args is None else wire.dumps(args))
        return schedule_from_proto(await self._ready().CreateSchedule(request, timeout=CALL_TIMEOUT_S))

    async def get_schedule(self, env_id: str, schedule_id: str) -> ScheduleInfo:
        msg = await self._ready().GetSchedule(pb.GetScheduleRequest(env_id=env_id, schedule_id=schedule_id),
                                              timeout=CALL_TIMEOUT_S)
        return schedule_from_proto(msg)

    async def cancel_schedule(self, env_id: str, schedule_id: str) -> bool:
        msg = await self._ready().CancelSchedule(pb.CancelScheduleRequest(env_id=env_id, schedule_id=schedule_id),
                                                 timeout=CALL_TIMEOUT_S)
        return bool(msg.cancelled)


SCHEDULER = web.AppKey("scheduler", SchedulerClient)

routes = web.RouteTableDef()


def _api_key_env(request: web.Request) -> str:
    principal = principal_of(request)
    if principal.kind != "api_key":
        raise Forbidden("This endpoint requires an API key")
    return principal.env_id


@routes.get("/v1/projects/{project}/schedules")
async def list_schedules(request: web.Request) -> web.Response:
    env_id = _api_key_env(request)
    page = await request.app[SCHEDULER].list_schedules(env_id, request.match_info["project"], params.page(request))
    return envelope.page_listing(request, [schedule_response(s) for s in page.items], page)


def _string_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if name not in body:
        raise Unprocessable(f"missing field '{name}'")
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable(f"field '{name}' must be a non-empty string")
    return value


@routes.post("/v1/schedules")
async def create_schedule(request: web.Request) -> web.Response:
    env_id = _api_key_env(request)
    body = await params.json_object(request)
    project, fn, schedule = (_string_field(body, n) for n in ("project", "fn", "schedule"))
    args = body.get("args")
    if args is not None and not isinstance(args, list):
        raise Unprocessable("field 'args' must be a list or null")
    created = await request.app[SCHEDULER].create_schedule(env_id, project, fn, args, schedule)
    return envelope.single(request, schedule_response(created), status=201)


@routes.get("/v1/schedules/{schedule_id}")
async def get_schedule(request: web.Request) -> web.Response:
    env_id = _api_key_env(request)
    schedule_id = params.path_uuid(request, "schedule_id", "Schedule")
    return envelope.single(request, schedule_response(await request.app[SCHEDULER].get_schedule(env_id, schedule_id)))


@routes.delete("/v1/schedules/{schedule_id}")
async def cancel_schedule(request: web.Request) -> web.Response:
    """404 for an unknown schedule; `cancelled: false` when it was already inactive."""
    env_id = _api_key_env(request)
    schedule_id = params.path_uuid(request, "schedule_id", "Schedule")
    client = request.app[SCHEDULER]
    await client.get_schedule(env_id, schedule_id)
    cancelled = await client.cancel_schedule(env_id, schedule_id)
    return envelope.single(request, {"schedule_id": schedule_id, "cancelled": cancelled})


def add_schedules(app: web.Application, scheduler_addr: str) -> None:
    """Register the schedule routes and their scheduler client (closed with the app)."""
    client = SchedulerClient(scheduler_addr)
    app[SCHEDULER] = client
    app.add_routes(routes)

    async def close_client(_: web.Application) -> AsyncIterator[None]:
        yield
        await client.close()

    app.cleanup_ctx.append(close_client)
