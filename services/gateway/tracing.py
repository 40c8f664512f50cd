"""HTTP server spans for the gateway, continuing the caller's W3C trace context.

`opentelemetry-instrumentation-aiohttp-server` has no release matching our OpenTelemetry
version, so this middleware does the same small job: extract `traceparent`, open a SERVER
span around the handler, and make it current so the (instrumented) gRPC calls to ingest —
and the event they publish — belong to the same trace.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

_tracer = trace.get_tracer("hot.gateway")


@web.middleware
async def trace_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else request.path
    attributes = {"http.request.method": request.method, "http.route": route, "url.path": request.path}
    with _tracer.start_as_current_span(f"{request.method} {route}", context=propagate.extract(request.headers),
                                       kind=SpanKind.SERVER, attributes=attributes) as span:
        response = await handler(request)
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        return response
