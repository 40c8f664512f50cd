"""The Ingest gRPC servicer: the edge where protobuf requests meet ingest's domain code."""

from __future__ import annotations

import json
from typing import Any

from services.core import model, wire
from services.core.db import Pool
from services.core.errors import BadRequest, Forbidden, NotFound, Unprocessable
from services.core.grpcio import Context, rpc_errors
from services.core.ids import parse_uuid
from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc
from services.ingest import auth, deploy, store
from services.ingest.publisher import EventPublisher

MAX_EVENT_DATA_BYTES = 1_000_000


def _uuid(value: str, what: str) -> str:
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(f"{what} not found")
    return str(parsed)


def _env(request: Any) -> str:
    parsed = parse_uuid(request.env_id)
    if parsed is None:
        raise BadRequest("env_id must be a UUID")
    return str(parsed)


class IngestServicer(pb_grpc.IngestServicer):
    def __init__(self, pool: Pool, publisher: EventPublisher) -> None:
        self._pool = pool
        self._publisher = publisher

    @rpc_errors
    async def PublishEvent(self, request: pb.PublishEventRequest, context: Context) -> common_pb.Event:
        env_id = _env(request)
        event_type = request.event_type
        if not event_type:
            raise Unprocessable("event_type must be a non-empty string")
        if (event_type.startswith(model.RESERVED_PREFIX) and not request.allow_reserved
                and event_type not in model.PUBLIC_RESERVED_TYPES):
            raise Forbidden("Event types beginning with 'hot:' are reserved for internal control flows")
        if len(request.event_data_json) > MAX_EVENT_DATA_BYTES:
            raise Unprocessable(f"event_data is larger than {MAX_EVENT_DATA_BYTES} bytes")
        try:
            data = json.loads(request.event_data_json)
        except ValueError as exc:
            raise BadRequest(f"event_data_json is not valid JSON: {exc}") from exc
        stream_id: str | None = None
        if request.stream_id:
            parsed = parse_uuid(request.stream_id)
            if parsed is None:
                raise Unprocessable("stream_id must be a UUID")
            stream_id = str(parsed)
        source_run_id = str(parse_uuid(request.source_run_id) or "") or None
        event = await store.insert_event(self._pool, env_id=env_id, stream_id=stream_id, event_type=event_type,
                                         event_data=data, source_run_id=source_run_id,
                                         created_by=request.created_by or None)
        # Committed: from here on the event is durable. Publishing may still fail; the sweeper repairs that.
        await self._publisher.publish(event)
        return wire.event_to_proto(event)

    @rpc_errors
    async def GetEvent(self, request: pb.GetEventRequest, context: Context) -> common_pb.Event:
        event = await store.get_event(self._pool, _env(request), _uuid(request.event_id, "Event"))
        return wire.event_to_proto(event)

    @rpc_errors
    async def ListEvents(self, request: pb.ListEventsRequest,
                         context: Context) -> pb.ListEventsResponse:
        page = await store.list_events(self._pool, _env(request), wire.page_from_proto(request.page))
        return pb.ListEventsResponse(events=[wire.event_to_proto(e) for e in page.items],
                                     page=wire.page_to_proto(page))

    @rpc_errors
    async def ListEventRuns(self, request: pb.ListEventRunsRequest,
                            context: Context) -> pb.ListRunsResponse:
        page = await store.list_event_runs(self._pool, _env(request), _uuid(request.event_id, "Event"),
                                           wire.page_from_proto(request.page))
        return pb.ListRunsResponse(runs=[wire.run_to_proto(r) for r in page.items], page=wire.page_to_proto(page))

    @rpc_errors
    async def GetRun(self, request: pb.GetRunRequest, context: Context) -> common_pb.Run:
        run = await store.get_run(self._pool, _env(request), _uuid(request.run_id, "Run"))
        return wire.run_to_proto(run)

    @rpc_errors
    async def ListRuns(self, request: pb.ListRunsRequest, context: Context) -> pb.ListRunsResponse:
        if request.since_seconds < 0:
            raise BadRequest("since_seconds must not be negative")
        page = await store.list_runs(
            self._pool, _env(request), wire.page_from_proto(request.page),
            status=model.RunStatus(request.status) if request.status else None,
            run_type=model.RunType(request.run_type) if request.run_type else None,
            since_seconds=request.since_seconds,
        )
        return pb.ListRunsResponse(runs=[wire.run_to_proto(r) for r in page.items], page=wire.page_to_proto(page))

    @rpc_errors
    async def DeployBuild(self, request: pb.DeployBuildRequest,
                          context: Context) -> pb.DeployBuildResponse:
        files = {f.path: f.content for f in request.files}
        if len(files) != len(request.files):
            raise BadRequest("duplicate file paths in build")
        result = await deploy.deploy_build(self._pool, _env(request), request.project_name, files)
        return pb.DeployBuildResponse(
            build_id=result.build_id, project_id=result.project_id, changed=result.changed,
            handlers=[common_pb.EventHandler(event_handler_id=h.event_handler_id, build_id=h.build_id,
                                             event_type=h.event_type, ns=h.ns, var=h.var) for h in result.handlers],
        )

    @rpc_errors
    async def Authenticate(self, request: pb.AuthenticateRequest, context: Context) -> pb.Principal:
        principal = await auth.authenticate(self._pool, request.token)
        return pb.Principal(env_id=principal.env_id, org_id=principal.org_id,
                            credential_id=principal.credential_id, kind=principal.kind,
                            permissions_json=json.dumps(principal.permissions))
