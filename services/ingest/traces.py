"""The Traces gRPC service: a run's stored spans (written by the executor's span store)."""

from __future__ import annotations

from datetime import datetime

from services.core.db import Pool
from services.core.errors import NotFound
from services.core.grpcio import Context, rpc_errors
from services.core.pb import hot_traces_pb2 as pb
from services.core.pb import hot_traces_pb2_grpc as pb_grpc
from services.core.traces import SpanEvent, TraceSpan, span_to_proto
from services.ingest.requests import request_env, resource_id


async def load_trace(pool: Pool, env_id: str, run_id: str) -> list[TraceSpan]:
    """The spans of a run of ``env_id`` in start order; raises NotFound for an unknown run."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT 1 FROM hot.run WHERE run_id = %s AND env_id = %s", (run_id, env_id))
        if await cur.fetchone() is None:
            raise NotFound("Run not found")
        cur = await conn.execute(
            "SELECT span_id, trace_id, parent_span_id, name, kind, start_time, end_time, duration_us, status, "
            "status_message, attributes, events FROM hot.trace_span WHERE run_id = %s "
            "ORDER BY start_time, span_id", (run_id,))
        rows = await cur.fetchall()
    return [TraceSpan(
        span_id=row["span_id"], trace_id=row["trace_id"], parent_span_id=row["parent_span_id"], name=row["name"],
        kind=row["kind"], start_time=row["start_time"], end_time=row["end_time"], duration_us=row["duration_us"],
        status=row["status"], status_message=row["status_message"], attributes=row["attributes"],
        events=[SpanEvent(e["name"], datetime.fromisoformat(e["time"]), e.get("attributes") or {})
                for e in row["events"]],
    ) for row in rows]


class TracesServicer(pb_grpc.TracesServicer):
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @rpc_errors
    async def GetTrace(self, request: pb.GetTraceRequest, context: Context) -> pb.Trace:
        run_id = resource_id(request.run_id, "Run")
        spans = await load_trace(self._pool, request_env(request), run_id)
        return pb.Trace(run_id=run_id, spans=[span_to_proto(span) for span in spans])
