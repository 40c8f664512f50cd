"""The typed client of the Traces gRPC service (a run's stored execution trace)."""

from __future__ import annotations

from typing import Any

from services.core import model, wire
from services.core.clients.channel import Client
from services.core.pb import hot_traces_pb2 as pb
from services.core.pb import hot_traces_pb2_grpc as pb_grpc


class TracesClient(Client):
    def __init__(self, address: str, **options: Any) -> None:
        super().__init__(address, **options)
        self._stub = pb_grpc.TracesStub(self._channel)

    async def get_trace(self, env_id: str, run_id: str) -> list[model.TraceSpan]:
        msg = await self._stub.GetTrace(pb.GetTraceRequest(env_id=env_id, run_id=run_id), timeout=self.timeout_s)
        return [wire.span_from_proto(span) for span in msg.spans]
