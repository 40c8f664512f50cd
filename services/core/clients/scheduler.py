"""The typed client of the Scheduler gRPC service (schedules of deployed builds)."""

from __future__ import annotations

from typing import Any

from services.core import model, wire
from services.core.clients.channel import Client
from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc


class SchedulerClient(Client):
    """A schedule belongs to a build: `build_id` names it, or else the deployed build of `project`."""

    def __init__(self, address: str, **options: Any) -> None:
        super().__init__(address, **options)
        self._stub = pb_grpc.SchedulerStub(self._channel)

    async def list_schedules(self, env_id: str, project: str, page: model.Page) -> model.PageOf[model.Schedule]:
        msg = await self._stub.ListSchedules(
            pb.ListSchedulesRequest(env_id=env_id, project=project, page=wire.page_request_to_proto(page)),
            timeout=self.timeout_s)
        return wire.page_of([wire.schedule_from_proto(s) for s in msg.schedules], msg.page)

    async def create_schedule(self, env_id: str, fn: str, schedule: str, args: list[Any] | None = None, *,
                              build_id: str = "", project: str = "") -> model.Schedule:
        request = pb.CreateScheduleRequest(env_id=env_id, build_id=build_id, project=project, fn=fn,
                                           schedule=schedule, args_json="" if args is None else wire.dumps(args))
        return wire.schedule_from_proto(await self._stub.CreateSchedule(request, timeout=self.timeout_s))

    async def get_schedule(self, env_id: str, schedule_id: str) -> model.Schedule:
        msg = await self._stub.GetSchedule(pb.GetScheduleRequest(env_id=env_id, schedule_id=schedule_id),
                                           timeout=self.timeout_s)
        return wire.schedule_from_proto(msg)

    async def cancel_schedules(self, env_id: str, *, schedule_id: str = "", fn: str = "", build_id: str = "",
                               project: str = "") -> bool:
        """Deactivate one schedule by id, or every schedule of `fn` in the build; True if any changed."""
        request = pb.CancelScheduleRequest(env_id=env_id, schedule_id=schedule_id, fn=fn, build_id=build_id,
                                           project=project)
        msg = await self._stub.CancelSchedule(request, timeout=self.timeout_s)
        return bool(msg.cancelled)
