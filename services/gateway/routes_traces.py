"""`GET /v1/runs/{run_id}/trace`: a run's execution trace as a span tree (our documented extension).

Body: `{"data": [span…]}` — the roots (normally the one `hot.run` span), each span with its
`children` nested in start order (see `responses.trace_response`). Spans are stored shortly
after the run ends, so a just-finished run may briefly return an empty list.
"""

from __future__ import annotations

from aiohttp import web

from services.gateway import envelope, params
from services.gateway.auth import principal_of
from services.gateway.responses import trace_response
from services.gateway.state import TRACES

trace_routes = web.RouteTableDef()


@trace_routes.get("/v1/runs/{run_id}/trace")
async def get_trace(request: web.Request) -> web.Response:
    principal = principal_of(request)
    spans = await request.app[TRACES].get_trace(principal.env_id, params.path_uuid(request, "run_id", "Run"))
    return envelope.single(request, trace_response(spans))
