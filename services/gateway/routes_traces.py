"""`GET /v1/runs/{run_id}/trace`: a run's execution trace as a span tree (our documented extension).

Body: `{"data": [span…]}` — the roots (normally the one `hot.run` span), each span with its
`children` nested in start order (see `services.core.traces.span_json`). Spans are stored
shortly after the run ends, so a just-finished run may briefly return an empty list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from aiohttp import web

from services.core.pb import hot_traces_pb2 as pb
from services.core.pb import hot_traces_pb2_grpc as pb_grpc
from services.core.traces import TraceSpan, span_from_proto, span_tree
from services.gateway import envelope, params
from services.gateway.auth import principal_of

CALL_TIMEOUT_S = 10.0

routes = web.RouteTableDef()


class TracesClient:
    """The gateway's view of ingest's Traces service."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.aio.insecure_channel(address)
        self._stub = pb_grpc.TracesStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def get_trace(self, env_id: str, run_id: str) -> list[TraceSpan]:
        msg = await self._stub.GetTrace(pb.GetTraceRequest(env_id=env_id, run_id=run_id), timeout=CALL_TIMEOUT_S)
        return [span_from_proto(span) for span in msg.spans]


TRACES = web.AppKey("traces", TracesClient)


@routes.get("/v1/runs/{run_id}/trace")
async def get_trace(request: web.Request) -> web.Response:
    principal = principal_of(request)
    spans = await request.app[TRACES].get_trace(principal.env_id, params.path_uuid(request, "run_id", "Run"))
    return envelope.single(request, span_tree(spans))


def add_traces(app: web.Application, ingest_addr: str) -> None:
    """Register the trace route and its client (closed with the app)."""
    client = TracesClient(ingest_addr)
    app[TRACES] = client
    app.add_routes(routes)

    async def close_client(_: web.Application) -> AsyncIterator[None]:
        yield
        await client.close()

    app.cleanup_ctx.append(close_client)
