"""Built-in handlers of reserved event types, run by the executor without Hot code.

`hot:schedule:new {fn, args?, schedule}` creates a dynamic schedule bound to the build of
the run that sent it; its run's result is the schedule id. `hot:schedule:cancel
{"schedule-id"} | {fn}` deactivates schedules; its result says whether any changed
(platform-spec §2.2, §4.3). Both talk to the scheduler over gRPC.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from services.core import model
from services.core.clients import SchedulerClient
from services.core.db import Pool
from services.core.grpcio import error_from_rpc
from services.core.ids import parse_uuid

T = TypeVar("T")


class BuiltinFailure(Exception):
    """The built-in handler failed; the message becomes the run's failure message."""


Builtin = Callable[[model.Event], Awaitable[Any]]


class ScheduleBuiltins:
    def __init__(self, pool: Pool, scheduler: SchedulerClient) -> None:
        self._pool = pool
        self._scheduler = scheduler

    def for_event_type(self, event_type: str) -> Builtin | None:
        return {"hot:schedule:new": self.schedule_new, "hot:schedule:cancel": self.schedule_cancel}.get(event_type)

    async def _source_build(self, event: model.Event) -> str:
        """The build of the run that sent the event (empty when sent from outside a run)."""
        if not event.source_run_id:
            return ""
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT build_id::text FROM hot.run WHERE run_id = %s", (event.source_run_id,))
            row = await cur.fetchone()
        return (row or {}).get("build_id") or ""

    async def schedule_new(self, event: model.Event) -> str:
        data = event.event_data if isinstance(event.event_data, dict) else {}
        fn, schedule = data.get("fn"), data.get("schedule")
        if not isinstance(fn, str) or not fn:
            raise BuiltinFailure("hot:schedule:new expects 'fn', a function name like '::app::jobs/run'")
        if not isinstance(schedule, str) or not schedule.strip():
            raise BuiltinFailure("hot:schedule:new expects 'schedule', e.g. 'in 10 minutes' or 'every day at 9am'")
        args = data.get("args")
        if args is not None and not isinstance(args, list):
            raise BuiltinFailure("hot:schedule:new expects 'args' to be a list")
        created = await self._call(self._scheduler.create_schedule(
            event.env_id, fn, schedule, args or None, build_id=await self._source_build(event)))
        return created.schedule_id

    async def schedule_cancel(self, event: model.Event) -> bool:
        data = event.event_data if isinstance(event.event_data, dict) else {}
        schedule_id, fn = data.get("schedule-id"), data.get("fn")
        if schedule_id is None and fn is None:
            raise BuiltinFailure("cancel expects data with either 'schedule-id' or 'fn' key")
        if schedule_id is not None and (not isinstance(schedule_id, str) or parse_uuid(schedule_id) is None):
            raise BuiltinFailure(f"'schedule-id' must be a UUID, got {schedule_id!r}")
        if fn is not None and not isinstance(fn, str):
            raise BuiltinFailure("'fn' must be a function name like '::app::jobs/run'")
        return await self._call(self._scheduler.cancel_schedules(
            event.env_id, schedule_id=schedule_id or "", fn=fn or "", build_id=await self._source_build(event)))

    @staticmethod
    async def _call(pending: Awaitable[T]) -> T:
        """The scheduler's answer; its refusal (or absence) becomes the run's failure message."""
        try:
            return await pending
        except grpc.aio.AioRpcError as exc:
            mapped = error_from_rpc(exc)
            raise BuiltinFailure(mapped.message if mapped else f"scheduler unavailable: {exc.details()}") from None
