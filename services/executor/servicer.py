"""The Executor gRPC servicer: operator-facing status."""

from __future__ import annotations

from services.core.grpcio import Context, rpc_errors
from services.core.pb import hot_executor_pb2 as pb
from services.core.pb import hot_executor_pb2_grpc as pb_grpc
from services.executor.builds import BuildCache
from services.executor.runner import Counters


class ExecutorServicer(pb_grpc.ExecutorServicer):
    def __init__(self, counters: Counters, builds: BuildCache) -> None:
        self._counters = counters
        self._builds = builds

    @rpc_errors
    async def GetStatus(self, request: pb.ExecutorStatusRequest,
                        context: Context) -> pb.ExecutorStatus:
        return pb.ExecutorStatus(runs_in_flight=self._counters.runs_in_flight,
                                 runs_finished=self._counters.runs_finished,
                                 events_acked=self._counters.events_acked, builds_cached=len(self._builds))
