"""The typed client of the Ingest gRPC service (events, runs, deploys, keys, retries, dead letters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.core import model, wire
from services.core.clients.channel import Client
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc


class IngestClient(Client):
    def __init__(self, address: str, **options: Any) -> None:
        super().__init__(address, **options)
        self._stub = pb_grpc.IngestStub(self._channel)

    async def authenticate(self, token: str) -> model.Principal:
        msg = await self._stub.Authenticate(pb.AuthenticateRequest(token=token), timeout=self.timeout_s)
        return wire.principal_from_proto(msg)

    async def publish_event(self, env_id: str, event_type: str, event_data: Any, stream_id: str | None = None, *,
                            created_by: str = "", source_run_id: str = "", allow_reserved: bool = False,
                            event_time: datetime | None = None) -> model.Event:
        """Publish an event (a new stream when `stream_id` is None). Internal callers (runs, the
        scheduler) pass `allow_reserved` for `hot:*` types and may date the event (`event_time`)."""
        request = pb.PublishEventRequest(env_id=env_id, event_type=event_type,
                                         event_data_json=wire.dumps(event_data), stream_id=stream_id or "",
                                         created_by=created_by, source_run_id=source_run_id,
                                         allow_reserved=allow_reserved)
        if event_time is not None:
            request.event_time.CopyFrom(wire.ts_to_proto(event_time))
        return wire.event_from_proto(await self._stub.PublishEvent(request, timeout=self.timeout_s))

    async def get_event(self, env_id: str, event_id: str) -> model.Event:
        msg = await self._stub.GetEvent(pb.GetEventRequest(env_id=env_id, event_id=event_id), timeout=self.timeout_s)
        return wire.event_from_proto(msg)

    async def list_events(self, env_id: str, page: model.Page) -> model.PageOf[model.Event]:
        msg = await self._stub.ListEvents(pb.ListEventsRequest(env_id=env_id, page=wire.page_request_to_proto(page)),
                                          timeout=self.timeout_s)
        return wire.page_of([wire.event_from_proto(e) for e in msg.events], msg.page)

    async def list_event_runs(self, env_id: str, event_id: str, page: model.Page) -> model.PageOf[model.Run]:
        msg = await self._stub.ListEventRuns(
            pb.ListEventRunsRequest(env_id=env_id, event_id=event_id, page=wire.page_request_to_proto(page)),
            timeout=self.timeout_s)
        return wire.page_of([wire.run_from_proto(r) for r in msg.runs], msg.page)

    async def get_run(self, env_id: str, run_id: str) -> model.Run:
        msg = await self._stub.GetRun(pb.GetRunRequest(env_id=env_id, run_id=run_id), timeout=self.timeout_s)
        return wire.run_from_proto(msg)

    async def list_runs(self, env_id: str, page: model.Page, *, status: model.RunStatus | None = None,
                        run_type: model.RunType | None = None, since_seconds: int = 0) -> model.PageOf[model.Run]:
        request = pb.ListRunsRequest(env_id=env_id, page=wire.page_request_to_proto(page),
                                     status=int(status or 0),  # type: ignore[arg-type]
                                     run_type=int(run_type or 0), since_seconds=since_seconds)  # type: ignore[arg-type]
        msg = await self._stub.ListRuns(request, timeout=self.timeout_s)
        return wire.page_of([wire.run_from_proto(r) for r in msg.runs], msg.page)

    async def deploy_build(self, env_id: str, project_name: str, files: dict[str, str], *,
                           timeout_s: float | None = None) -> model.DeployResult:
        request = pb.DeployBuildRequest(env_id=env_id, project_name=project_name,
                                        files=[pb.SourceFile(path=p, content=c) for p, c in files.items()])
        msg = await self._stub.DeployBuild(request, timeout=timeout_s or self.timeout_s, wait_for_ready=True)
        return wire.deploy_result_from_proto(msg)

    async def enqueue_retry(self, run_id: str) -> bool:
        """Enqueue the next attempt of a due run; False when it was no longer pending_retry."""
        msg = await self._stub.EnqueueRetry(pb.EnqueueRetryRequest(run_id=run_id), timeout=self.timeout_s)
        return bool(msg.enqueued)

    async def cancel_run(self, env_id: str, run_id: str, reason: str) -> model.Run:
        msg = await self._stub.CancelRun(pb.CancelRunRequest(env_id=env_id, run_id=run_id, reason=reason),
                                         timeout=self.timeout_s)
        return wire.run_from_proto(msg)

    async def list_dead_letters(self, env_id: str, page: model.Page,
                                include_replayed: bool = False) -> model.PageOf[model.DeadLetter]:
        msg = await self._stub.ListDeadLetters(
            pb.ListDeadLettersRequest(env_id=env_id, page=wire.page_request_to_proto(page),
                                      include_replayed=include_replayed),
            timeout=self.timeout_s)
        return wire.page_of([wire.dead_letter_from_proto(d) for d in msg.dead_letters], msg.page)

    async def replay_dead_letter(self, env_id: str, dead_letter_id: str) -> model.DeadLetter:
        msg = await self._stub.ReplayDeadLetter(
            pb.ReplayDeadLetterRequest(env_id=env_id, dead_letter_id=dead_letter_id), timeout=self.timeout_s)
        return wire.dead_letter_from_proto(msg)

    # ----- context variables (project "" = environment-level) ------------------------------------

    async def list_context(self, env_id: str, project: str, page: model.Page) -> model.PageOf[model.ContextVariable]:
        msg = await self._stub.ListContext(pb.ListContextRequest(env_id=env_id, project=project,
                                                                 page=wire.page_request_to_proto(page)),
                                           timeout=self.timeout_s)
        return wire.page_of([wire.context_variable_from_proto(v) for v in msg.variables], msg.page)

    async def get_context(self, env_id: str, project: str, key: str) -> model.ContextVariable:
        msg = await self._stub.GetContext(pb.GetContextRequest(env_id=env_id, project=project, key=key),
                                          timeout=self.timeout_s)
        return wire.context_variable_from_proto(msg)

    async def set_context(self, env_id: str, project: str, key: str, value: Any, *, description: str | None,
                          secret: bool, mode: str = "upsert", updated_by: str = "") -> model.ContextVariable:
        """`mode`: `create` (409 when set), `update` (404 when unset) or `upsert`."""
        modes = {"upsert": pb.CONTEXT_WRITE_UPSERT, "create": pb.CONTEXT_WRITE_CREATE,
                 "update": pb.CONTEXT_WRITE_UPDATE}
        request = pb.SetContextRequest(env_id=env_id, project=project, key=key, value_json=wire.dumps(value),
                                       secret=secret, mode=modes[mode], updated_by=updated_by)
        if description is not None:
            request.description = description
        return wire.context_variable_from_proto(await self._stub.SetContext(request, timeout=self.timeout_s))

    async def delete_context(self, env_id: str, project: str, key: str) -> None:
        await self._stub.DeleteContext(pb.DeleteContextRequest(env_id=env_id, project=project, key=key),
                                       timeout=self.timeout_s)
