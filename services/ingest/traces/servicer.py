"""The Traces gRPC servicer: the edge of a run's stored execution trace."""

from __future__ import annotations

from services.core import wire
from services.core.db import Pool
from services.core.grpcio import Context, request_env, resource_id, rpc_errors
from services.core.pb import hot_traces_pb2 as pb
from services.core.pb import hot_traces_pb2_grpc as pb_grpc
from services.ingest.traces.store import load_trace


class TracesServicer(pb_grpc.TracesServicer):
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @rpc_errors
    async def GetTrace(self, request: pb.GetTraceRequest, context: Context) -> pb.Trace:
        run_id = resource_id(request.run_id, "Run")
        spans = await load_trace(self._pool, request_env(request), run_id)
        return pb.Trace(run_id=run_id, spans=[wire.span_to_proto(span) for span in spans])
