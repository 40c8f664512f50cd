"""REST for schedules (platform-spec §6.2 and our additions), over the Scheduler gRPC service.

- `GET /v1/projects/{project}/schedules`: schedules of the project's deployed build (id or name),
  ordered by cron, ns, var; `limit` / `offset`.
- `POST /v1/schedules` `{project, fn, schedule, args?}`: a dynamic schedule on the project's
  deployed build (same parse order as `hot:schedule:new`) → 201.
- `GET /v1/schedules/{id}`, `DELETE /v1/schedules/{id}` → `{schedule_id, cancelled}`.
All need an API key (sessions get 403). The scheduler's address comes from `HOT_SCHEDULER_ADDR`.
"""

from __future__ import annotations

from aiohttp import web

from services.core.clients import SchedulerClient
from services.core.errors import Unavailable, Unprocessable
from services.gateway import envelope, params
from services.gateway.auth import require_api_key
from services.gateway.responses import schedule_response
from services.gateway.state import SCHEDULER

schedule_routes = web.RouteTableDef()


def _scheduler(request: web.Request) -> SchedulerClient:
    client = request.app[SCHEDULER]
    if client is None:
        raise Unavailable("The scheduler is not configured (HOT_SCHEDULER_ADDR)")
    return client



@schedule_routes.get("/v1/projects/{project}/schedules")
async def list_schedules(request: web.Request) -> web.Response:
    env_id = require_api_key(request)
    page = await _scheduler(request).list_schedules(env_id, params.path_name(request, "project", "project"),
                                                    params.page(request))
    return envelope.page_listing(request, [schedule_response(s) for s in page.items], page)


@schedule_routes.post("/v1/schedules")
async def create_schedule(request: web.Request) -> web.Response:
    env_id = require_api_key(request)
    body = await params.json_object(request)
    cap = params.limits(request).max_name_length
    project, fn, schedule = (str(params.body_text(body, n, cap)) for n in ("project", "fn", "schedule"))
    args = body.get("args")
    if args is not None and not isinstance(args, list):
        raise Unprocessable("field 'args' must be a list or null")
    created = await _scheduler(request).create_schedule(env_id, fn, schedule, args, project=project)
    return envelope.single(request, schedule_response(created), status=201)


@schedule_routes.get("/v1/schedules/{schedule_id}")
async def get_schedule(request: web.Request) -> web.Response:
    env_id = require_api_key(request)
    schedule_id = params.path_uuid(request, "schedule_id", "Schedule")
    return envelope.single(request, schedule_response(await _scheduler(request).get_schedule(env_id, schedule_id)))


@schedule_routes.delete("/v1/schedules/{schedule_id}")
async def cancel_schedule(request: web.Request) -> web.Response:
    """404 for an unknown schedule; `cancelled: false` when it was already inactive."""
    env_id = require_api_key(request)
    schedule_id = params.path_uuid(request, "schedule_id", "Schedule")
    client = _scheduler(request)
    await client.get_schedule(env_id, schedule_id)
    cancelled = await client.cancel_schedules(env_id, schedule_id=schedule_id)
    return envelope.single(request, {"schedule_id": schedule_id, "cancelled": cancelled})
