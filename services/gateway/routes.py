"""REST routes of the public API (platform-spec §6.2): status, events and runs."""

from __future__ import annotations

from aiohttp import web

from services.core.errors import Unprocessable
from services.core.wire import rfc3339
from services.gateway import envelope, params
from services.gateway.auth import principal_of
from services.gateway.responses import dead_letter_response, event_response, run_response
from services.gateway.state import INGEST, SETTINGS, STARTED_AT

routes = web.RouteTableDef()


@routes.get("/")
@routes.get("/status")
async def status(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    return web.json_response({"status": "ok", "service": "hot.dev api server", "version": settings.version,
                              "git_sha": settings.git_sha, "start_time": rfc3339(request.app[STARTED_AT])})


@routes.post("/v1/events")
async def publish_event(request: web.Request) -> web.Response:
    principal = principal_of(request)
    body = await params.json_object(request)
    event_type = params.body_text(body, "event_type", params.limits(request).max_event_type_length)
    if "event_data" not in body:
        raise Unprocessable("missing field 'event_data'")
    stream_id = params.body_uuid(body, "stream_id")
    event = await request.app[INGEST].publish_event(principal.env_id, str(event_type), body["event_data"],
                                                    stream_id, created_by=principal.credential_id)
    return envelope.single(request, event_response(event), status=201)


@routes.get("/v1/events")
async def list_events(request: web.Request) -> web.Response:
    principal = principal_of(request)
    page = await request.app[INGEST].list_events(principal.env_id, params.page(request))
    return envelope.page_listing(request, [event_response(e) for e in page.items], page)


@routes.get("/v1/events/{event_id}")
async def get_event(request: web.Request) -> web.Response:
    principal = principal_of(request)
    event = await request.app[INGEST].get_event(principal.env_id, params.path_uuid(request, "event_id", "Event"))
    return envelope.single(request, event_response(event))


@routes.get("/v1/events/{event_id}/runs")
async def list_event_runs(request: web.Request) -> web.Response:
    principal = principal_of(request)
    event_id = params.path_uuid(request, "event_id", "Event")
    page = await request.app[INGEST].list_event_runs(principal.env_id, event_id, params.page(request))
    return envelope.page_listing(request, [run_response(r) for r in page.items], page)


@routes.get("/v1/runs")
async def list_runs(request: web.Request) -> web.Response:
    principal = principal_of(request)
    page = await request.app[INGEST].list_runs(
        principal.env_id, params.page(request), status=params.run_status(request),
        run_type=params.run_type(request), since_seconds=params.time_range_seconds(request))
    return envelope.page_listing(request, [run_response(r) for r in page.items], page)


@routes.get("/v1/runs/{run_id}")
async def get_run(request: web.Request) -> web.Response:
    principal = principal_of(request)
    run = await request.app[INGEST].get_run(principal.env_id, params.path_uuid(request, "run_id", "Run"))
    return envelope.single(request, run_response(run))


@routes.post("/v1/runs/{run_id}/cancel")
async def cancel_run(request: web.Request) -> web.Response:
    """Our addition: cancel a running or pending_retry run (409 when it already ended)."""
    principal = principal_of(request)
    run_id = params.path_uuid(request, "run_id", "Run")
    reason = "Run cancelled"
    if request.can_read_body:
        body = await params.json_object(request)
        reason = params.body_text(body, "reason", params.limits(request).max_name_length, required=False) or reason
    run = await request.app[INGEST].cancel_run(principal.env_id, run_id, reason)
    return envelope.single(request, run_response(run))


@routes.get("/v1/dead-letters")
async def list_dead_letters(request: web.Request) -> web.Response:
    """Our addition: events whose delivery budget ran out (`?include_replayed=true` for all)."""
    principal = principal_of(request)
    include = request.query.get("include_replayed", "false").lower() in ("1", "true", "yes")
    page = await request.app[INGEST].list_dead_letters(principal.env_id, params.page(request), include)
    return envelope.page_listing(request, [dead_letter_response(d) for d in page.items], page)


@routes.post("/v1/dead-letters/{dead_letter_id}/replay")
async def replay_dead_letter(request: web.Request) -> web.Response:
    principal = principal_of(request)
    letter = await request.app[INGEST].replay_dead_letter(
        principal.env_id, params.path_uuid(request, "dead_letter_id", "Dead letter"))
    return envelope.single(request, dead_letter_response(letter))
