"""The Scheduler gRPC servicer: the edge where protobuf requests meet the scheduler's domain code."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.core import model, wire
from services.core.db import Pool
from services.core.errors import BadRequest, Unprocessable
from services.core.grpcio import Context, request_env, rpc_errors
from services.core.ids import parse_uuid
from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc
from services.sandbox.pool import WorkerPool
from services.scheduler import store
from services.scheduler.cron import next_fire_after, parse_cron
from services.scheduler.expressions import Once, ScheduleError, parse_dynamic
from services.scheduler.static import sync_static_schedules


def schedule_to_proto(schedule: model.Schedule, now: datetime) -> pb.Schedule:
    """Convert at the edge; `next_fire_at` is computed for active recurring schedules."""
    nxt: datetime | None = None
    if schedule.active:
        if schedule.kind == "once":
            nxt = schedule.run_at
        elif schedule.cron_normalized:
            nxt = next_fire_after(parse_cron(schedule.cron_normalized), now)
    return wire.schedule_to_proto(replace(schedule, next_fire_at=nxt))


def _fn(fn: str) -> tuple[str, str]:
    parts = store.split_fn(fn)
    if parts is None:
        raise Unprocessable(f"fn must name a function as '::namespace/name', got {fn!r}")
    return parts


def _args(args_json: str) -> list[Any] | None:
    if not args_json:
        return None
    try:
        args = json.loads(args_json)
    except ValueError as exc:
        raise BadRequest(f"args_json is not valid JSON: {exc}") from None
    if args is None:
        return None
    if not isinstance(args, list):
        raise Unprocessable("args must be a list or null")
    return args or None


class SchedulerServicer(pb_grpc.SchedulerServicer):
    """Serves on every replica; `status` tells whether this one leads and how much it times."""

    def __init__(self, pool: Pool, now: Callable[[], datetime], sandbox: WorkerPool,
                 status: Callable[[], tuple[bool, int]] = lambda: (False, 0)) -> None:
        self._pool = pool
        self._sandbox = sandbox
        self._now = now
        self._status = status

    @rpc_errors
    async def GetStatus(self, request: pb.SchedulerStatusRequest, context: Context) -> pb.SchedulerStatus:
        leader, active = self._status()
        return pb.SchedulerStatus(leader=leader, active_schedules=active)

    @rpc_errors
    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: Context) -> pb.Schedule:
        env_id = request_env(request)
        ns, var = _fn(request.fn)
        args = _args(request.args_json)
        if not request.schedule.strip():
            raise Unprocessable("Invalid schedule expression '': the schedule is empty")
        now = self._now()
        try:
            parsed = parse_dynamic(request.schedule, now)
        except ScheduleError as err:
            raise Unprocessable(str(err)) from None
        if not request.build_id and not request.project:
            raise Unprocessable("a schedule needs build_id or project")
        build_id, project_id = await store.resolve_build(self._pool, env_id, request.build_id, request.project)
        next_fire = parsed.run_at if isinstance(parsed, Once) else next_fire_after(parsed.compiled(), now)
        schedule = await store.create_dynamic(self._pool, env_id=env_id, project_id=project_id, build_id=build_id,
                                              ns=ns, var=var, parsed=parsed, args=args, next_fire_at=next_fire)
        return schedule_to_proto(schedule, now)

    @rpc_errors
    async def CancelSchedule(self, request: pb.CancelScheduleRequest,
                             context: Context) -> pb.CancelScheduleResponse:
        env_id = request_env(request)
        if request.schedule_id:
            parsed = parse_uuid(request.schedule_id)
            if parsed is None:
                raise Unprocessable(f"schedule-id must be a UUID, got {request.schedule_id!r}")
            changed = await store.cancel_by_id(self._pool, env_id, str(parsed))
        elif request.fn:
            ns, var = _fn(request.fn)
            if not request.build_id and not request.project:
                raise Unprocessable("cancelling by fn needs build_id or project")
            build_id, _ = await store.resolve_build(self._pool, env_id, request.build_id, request.project)
            changed = await store.cancel_by_fn(self._pool, env_id, build_id, ns, var)
        else:
            raise Unprocessable("cancel expects data with either 'schedule-id' or 'fn' key")
        return pb.CancelScheduleResponse(cancelled=bool(changed), count=len(changed))

    @rpc_errors
    async def ListSchedules(self, request: pb.ListSchedulesRequest, context: Context) -> pb.ListSchedulesResponse:
        env_id = request_env(request)
        if not request.project:
            raise Unprocessable("project (id or name) is required")
        project_id = await store.resolve_project(self._pool, env_id, request.project)
        now = self._now()
        # A deploy may have landed since the leader's last sync: register its schedules first.
        await sync_static_schedules(self._pool, now, self._sandbox)
        page = await store.list_for_project(self._pool, env_id, project_id,
                                            wire.page_from_proto(request.page if request.HasField("page") else None))
        return pb.ListSchedulesResponse(schedules=[schedule_to_proto(s, now) for s in page.items],
                                        page=wire.page_to_proto(page))

    @rpc_errors
    async def GetSchedule(self, request: pb.GetScheduleRequest, context: Context) -> pb.Schedule:
        env_id = request_env(request)
        parsed = parse_uuid(request.schedule_id)
        if parsed is None:
            raise Unprocessable(f"schedule_id must be a UUID, got {request.schedule_id!r}")
        return schedule_to_proto(await store.get_schedule(self._pool, env_id, str(parsed)), self._now())
