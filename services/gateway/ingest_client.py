"""The gateway's typed view of the Ingest gRPC service: requests in, domain objects out."""

from __future__ import annotations

import json
from typing import Any

import grpc

from services.core import model, wire
from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc

CALL_TIMEOUT_S = 10.0


def _page(page: model.Page) -> common_pb.PageRequest:
    return common_pb.PageRequest(limit=page.limit, offset=page.offset)


def _page_of(items: list[Any], info: common_pb.PageInfo) -> model.PageOf[Any]:
    return model.PageOf(items, info.total, model.Page(limit=info.limit, offset=info.offset))


class IngestClient:
    def __init__(self, address: str) -> None:
        self._channel = grpc.aio.insecure_channel(address)
        self._stub = pb_grpc.IngestStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def authenticate(self, token: str) -> model.Principal:
        msg = await self._stub.Authenticate(pb.AuthenticateRequest(token=token), timeout=CALL_TIMEOUT_S)
        return model.Principal(env_id=msg.env_id, org_id=msg.org_id, credential_id=msg.credential_id,
                               kind=msg.kind, permissions=json.loads(msg.permissions_json or "{}"))

    async def publish_event(self, env_id: str, event_type: str, event_data: Any, stream_id: str | None,
                            created_by: str) -> model.Event:
        request = pb.PublishEventRequest(env_id=env_id, event_type=event_type,
                                         event_data_json=wire.dumps(event_data), stream_id=stream_id or "",
                                         created_by=created_by)
        return wire.event_from_proto(await self._stub.PublishEvent(request, timeout=CALL_TIMEOUT_S))

    async def get_event(self, env_id: str, event_id: str) -> model.Event:
        msg = await self._stub.GetEvent(pb.GetEventRequest(env_id=env_id, event_id=event_id), timeout=CALL_TIMEOUT_S)
        return wire.event_from_proto(msg)

    async def list_events(self, env_id: str, page: model.Page) -> model.PageOf[model.Event]:
        msg = await self._stub.ListEvents(pb.ListEventsRequest(env_id=env_id, page=_page(page)),
                                          timeout=CALL_TIMEOUT_S)
        return _page_of([wire.event_from_proto(e) for e in msg.events], msg.page)

    async def list_event_runs(self, env_id: str, event_id: str, page: model.Page) -> model.PageOf[model.Run]:
        msg = await self._stub.ListEventRuns(
            pb.ListEventRunsRequest(env_id=env_id, event_id=event_id, page=_page(page)), timeout=CALL_TIMEOUT_S)
        return _page_of([wire.run_from_proto(r) for r in msg.runs], msg.page)

    async def get_run(self, env_id: str, run_id: str) -> model.Run:
        msg = await self._stub.GetRun(pb.GetRunRequest(env_id=env_id, run_id=run_id), timeout=CALL_TIMEOUT_S)
        return wire.run_from_proto(msg)

    async def list_runs(self, env_id: str, page: model.Page, *, status: model.RunStatus | None,
                        run_type: model.RunType | None, since_seconds: int) -> model.PageOf[model.Run]:
        request = pb.ListRunsRequest(env_id=env_id, page=_page(page), status=int(status or 0),  # type: ignore[arg-type]
                                     run_type=int(run_type or 0), since_seconds=since_seconds)  # type: ignore[arg-type]
        msg = await self._stub.ListRuns(request, timeout=CALL_TIMEOUT_S)
        return _page_of([wire.run_from_proto(r) for r in msg.runs], msg.page)

    async def cancel_run(self, env_id: str, run_id: str, reason: str) -> model.Run:
        msg = await self._stub.CancelRun(pb.CancelRunRequest(env_id=env_id, run_id=run_id, reason=reason),
                                         timeout=CALL_TIMEOUT_S)
        return wire.run_from_proto(msg)

    async def list_dead_letters(self, env_id: str, page: model.Page,
                                include_replayed: bool) -> tuple[list[Any], common_pb.PageInfo]:
        msg = await self._stub.ListDeadLetters(
            pb.ListDeadLettersRequest(env_id=env_id, page=_page(page), include_replayed=include_replayed),
            timeout=CALL_TIMEOUT_S)
        return list(msg.dead_letters), msg.page

    async def replay_dead_letter(self, env_id: str, dead_letter_id: str) -> Any:
        return await self._stub.ReplayDeadLetter(
            pb.ReplayDeadLetterRequest(env_id=env_id, dead_letter_id=dead_letter_id), timeout=CALL_TIMEOUT_S)
