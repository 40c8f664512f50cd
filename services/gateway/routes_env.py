"""REST reads of the environment (platform-spec §6.2): run statistics, the environment
itself, and the handlers of a project's deployed build."""

from __future__ import annotations

from aiohttp import web

from services.gateway import envelope, params
from services.gateway.auth import principal_of, require_api_key
from services.gateway.responses import env_response, handler_response, run_stats_response
from services.gateway.state import STREAMS

env_routes = web.RouteTableDef()


@env_routes.get("/v1/runs/stats")
async def run_stats(request: web.Request) -> web.Response:
    """`{total_runs, running, succeeded, failed, cancelled}`; task runs are not counted."""
    stats = await request.app[STREAMS].run_stats(require_api_key(request))
    return envelope.single(request, run_stats_response(stats))


@env_routes.get("/v1/env")
async def get_env(request: web.Request) -> web.Response:
    env = await request.app[STREAMS].get_env(principal_of(request).env_id)
    return envelope.single(request, env_response(env))


@env_routes.get("/v1/projects/{project}/event-handlers")
async def list_event_handlers(request: web.Request) -> web.Response:
    """Handlers of the project's deployed build; the project is named by id or name."""
    env_id = require_api_key(request)
    page = await request.app[STREAMS].list_event_handlers(env_id, params.path_name(request, "project", "project"),
                                                          params.page(request))
    return envelope.page_listing(request, [handler_response(h) for h in page.items], page)
