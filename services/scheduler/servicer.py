"""The Scheduler gRPC servicer."""

from __future__ import annotations

from services.core.grpcio import Context, rpc_errors
from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc


class SchedulerServicer(pb_grpc.SchedulerServicer):
    def __init__(self) -> None:
        self.leader = False
        self.active_schedules = 0

    @rpc_errors
    async def GetStatus(self, request: pb.SchedulerStatusRequest,
                        context: Context) -> pb.SchedulerStatus:
        return pb.SchedulerStatus(leader=self.leader, active_schedules=self.active_schedules)
