"""The Ingest gRPC servicer: the edge where protobuf requests meet ingest's domain code."""

from __future__ import annotations

import os
from datetime import timedelta

from nats.aio.client import Client

from services.core import jsonsafe, live, model, subjects, wire
from services.core.config import InputLimits
from services.core.db import Pool
from services.core.errors import BadRequest, Forbidden, PayloadTooLarge, Unavailable, Unprocessable
from services.core.grpcio import Context, request_env, resource_id, rpc_errors
from services.core.ids import parse_uuid
from services.core.pb import hot_common_pb2 as common_pb
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc
from services.core.telemetry import current_traceparent
from services.ingest import auth, cancel, deadletters, deploy, retries, store
from services.ingest.context_store import ContextStore
from services.ingest.publisher import EventPublisher
from services.sandbox.pool import WorkerPool

MAX_SINCE_SECONDS = int(timedelta(days=100 * 366).total_seconds())
"""`ListRuns.since_seconds` beyond a century is refused (PostgreSQL intervals overflow far later)."""


def _text(value: str, what: str, max_length: int) -> str:
    """A caller string that fits its column (INVALID_ARGUMENT otherwise)."""
    return jsonsafe.checked_text(value, what, max_length, error=Unprocessable)


class IngestServicer(pb_grpc.IngestServicer):
    """Options:
        limits: input limits (`Settings.limits`): event size, JSON depth, string lengths. The
            gateway checks the same, but it is not ingest's only client.
        fault_exit_before_publish: test-only fault injection (`FaultSettings`): ingest exits
            between commit and publish for an event of this type (default empty: never).
    """

    def __init__(self, pool: Pool, publisher: EventPublisher, nc: Client, *, sandbox: WorkerPool,
                 limits: InputLimits | None = None, fault_exit_before_publish: str = "",
                 context: ContextStore | None = None, strict_context: bool = False) -> None:
        self._pool = pool
        self._context = context
        self._strict_context = strict_context
        self._sandbox = sandbox
        self._publisher = publisher
        self._nc = nc
        self._limits = limits or InputLimits()
        self._fault_exit_before_publish = fault_exit_before_publish

    def _event_data(self, text: str) -> object:
        """`event_data_json` parsed, size- and depth-capped, and checked storable (`jsonsafe`)."""
        cap = self._limits
        # A character is at most 4 bytes: only a text that might be too large is encoded to count.
        if len(text) * 4 > cap.max_event_bytes and len(text.encode("utf-8", "surrogatepass")) > cap.max_event_bytes:
            raise PayloadTooLarge(f"event_data is larger than {cap.max_event_bytes} bytes (HOT_MAX_EVENT_BYTES)")
        try:
            return jsonsafe.loads(text, root="event_data", max_depth=cap.max_json_depth)
        except jsonsafe.MalformedJson as exc:
            raise BadRequest(exc.message) from None
        except jsonsafe.UnstorableJson as exc:
            raise Unprocessable(exc.message) from None

    @rpc_errors
    async def PublishEvent(self, request: pb.PublishEventRequest, context: Context) -> common_pb.Event:
        env_id = request_env(request)
        event_type = _text(request.event_type, "event_type", self._limits.max_event_type_length)
        if not event_type.strip():
            raise Unprocessable("event_type must be a non-empty string")
        if (event_type.startswith(model.RESERVED_PREFIX) and not request.allow_reserved
                and event_type not in model.PUBLIC_RESERVED_TYPES):
            raise Forbidden("Event types beginning with 'hot:' are reserved for internal control flows")
        data = self._event_data(request.event_data_json)
        stream_id: str | None = None
        if request.stream_id:
            parsed = parse_uuid(request.stream_id)
            if parsed is None:
                raise Unprocessable("stream_id must be a UUID")
            stream_id = str(parsed)
        source_run_id = str(parse_uuid(request.source_run_id) or "") or None
        created_by = _text(request.created_by, "created_by", self._limits.max_name_length) or None
        event = await store.insert_event(self._pool, env_id=env_id, stream_id=stream_id, event_type=event_type,
                                         event_data=data, source_run_id=source_run_id, created_by=created_by,
                                         event_time=(wire.ts_from_proto(request.event_time)
                                                     if request.HasField("event_time") and request.allow_reserved
                                                     else None))
        if self._fault_exit_before_publish and event_type == self._fault_exit_before_publish:
            os._exit(86)  # fault injection for tests: committed, never published
        # Committed: from here on the event is durable. Publishing may still fail; the sweeper repairs that.
        # The event's trace context travels in the queued message: its runs continue this trace.
        await self._publisher.publish(event, traceparent=current_traceparent(context.invocation_metadata()))
        return wire.event_to_proto(event)

    @rpc_errors
    async def GetEvent(self, request: pb.GetEventRequest, context: Context) -> common_pb.Event:
        event = await store.get_event(self._pool, request_env(request), resource_id(request.event_id, "Event"))
        return wire.event_to_proto(event)

    @rpc_errors
    async def ListEvents(self, request: pb.ListEventsRequest,
                         context: Context) -> pb.ListEventsResponse:
        page = await store.list_events(self._pool, request_env(request), wire.page_from_proto(request.page))
        return pb.ListEventsResponse(events=[wire.event_to_proto(e) for e in page.items],
                                     page=wire.page_to_proto(page))

    @rpc_errors
    async def ListEventRuns(self, request: pb.ListEventRunsRequest,
                            context: Context) -> pb.ListRunsResponse:
        page = await store.list_event_runs(self._pool, request_env(request), resource_id(request.event_id, "Event"),
                                           wire.page_from_proto(request.page))
        return pb.ListRunsResponse(runs=[wire.run_to_proto(r) for r in page.items], page=wire.page_to_proto(page))

    @rpc_errors
    async def GetRun(self, request: pb.GetRunRequest, context: Context) -> common_pb.Run:
        run = await store.get_run(self._pool, request_env(request), resource_id(request.run_id, "Run"))
        return wire.run_to_proto(run)

    @rpc_errors
    async def ListRuns(self, request: pb.ListRunsRequest, context: Context) -> pb.ListRunsResponse:
        if not 0 <= request.since_seconds <= MAX_SINCE_SECONDS:
            raise BadRequest(f"since_seconds must be from 0 to {MAX_SINCE_SECONDS}")
        if request.status and int(request.status) not in {int(s) for s in model.RunStatus}:
            raise BadRequest(f"unknown run status {request.status}")
        if request.run_type and int(request.run_type) not in {int(t) for t in model.RunType}:
            raise BadRequest(f"unknown run type {request.run_type}")
        page = await store.list_runs(
            self._pool, request_env(request), wire.page_from_proto(request.page),
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
        cap = self._limits.max_name_length
        project = _text(request.project_name, "project_name", cap)
        for path, content in files.items():
            _text(path, "a file path", cap)
            if "\x00" in content:
                raise Unprocessable(f"file {path!r} contains a NUL character (\\u0000), which cannot be stored")
        result = await deploy.deploy_build(self._pool, request_env(request), project, files,
                                           sandbox=self._sandbox, strict_context=self._strict_context)
        return wire.deploy_result_to_proto(result)

    @rpc_errors
    async def Authenticate(self, request: pb.AuthenticateRequest, context: Context) -> pb.Principal:
        return wire.principal_to_proto(await auth.authenticate(self._pool, request.token))

    @rpc_errors
    async def EnqueueRetry(self, request: pb.EnqueueRetryRequest, context: Context) -> pb.EnqueueRetryResponse:
        event = await retries.enqueue_retry(self._pool, resource_id(request.run_id, "Run"))
        if event is None:
            return pb.EnqueueRetryResponse(enqueued=False)
        await self._publisher.publish(event)
        return pb.EnqueueRetryResponse(enqueued=True, event_id=event.event_id)

    @rpc_errors
    async def CancelRun(self, request: pb.CancelRunRequest, context: Context) -> common_pb.Run:
        env_id = request_env(request)
        reason = _text(request.reason, "reason", self._limits.max_name_length) or "Run cancelled"
        run = await cancel.cancel_run(self._pool, env_id, resource_id(request.run_id, "Run"), reason)
        # Tell the executor running it to stop, and stream subscribers that it ended.
        await self._nc.publish(subjects.control_subject(env_id), live.encode(live.CancelCommand(run.run_id)))
        await self._nc.publish(subjects.live_subject(env_id, run.stream_id),
                               live.encode(live.RunPing.of(live.RUN_CANCEL, run)))
        return wire.run_to_proto(run)

    @rpc_errors
    async def ListDeadLetters(self, request: pb.ListDeadLettersRequest,
                              context: Context) -> pb.ListDeadLettersResponse:
        page = await deadletters.list_dead_letters(self._pool, request_env(request), wire.page_from_proto(request.page),
                                                   request.include_replayed)
        return pb.ListDeadLettersResponse(dead_letters=[wire.dead_letter_to_proto(d) for d in page.items],
                                          page=wire.page_to_proto(page))

    @rpc_errors
    async def ReplayDeadLetter(self, request: pb.ReplayDeadLetterRequest, context: Context) -> pb.DeadLetter:
        letter = await deadletters.mark_replayed(self._pool, request_env(request),
                                                 resource_id(request.dead_letter_id, "Dead letter"))
        if not await self._publisher.publish(letter.event, replay=letter.replay_count):
            raise Unavailable("the event queue did not accept the replay; try again")
        return wire.dead_letter_to_proto(letter)


    # ----- context variables and secrets (integrations-spec §2) ----------------------------------

    def _contexts(self) -> ContextStore:
        if self._context is None:
            raise Unavailable("context variables are not configured on this ingest (HOT_SECRETS_KEY)")
        return self._context

    @rpc_errors
    async def ListContext(self, request: pb.ListContextRequest, context: Context) -> pb.ListContextResponse:
        store_ = self._contexts()
        env_id = request_env(request)
        page = await store_.page(env_id, await store_.project_id(env_id, request.project),
                                 wire.page_from_proto(request.page))
        return pb.ListContextResponse(variables=[wire.context_variable_to_proto(v) for v in page.items],
                                      page=wire.page_to_proto(page))

    @rpc_errors
    async def GetContext(self, request: pb.GetContextRequest, context: Context) -> pb.ContextVariable:
        store_ = self._contexts()
        env_id = request_env(request)
        var = await store_.get(env_id, await store_.project_id(env_id, request.project), request.key)
        return wire.context_variable_to_proto(var)

    @rpc_errors
    async def SetContext(self, request: pb.SetContextRequest, context: Context) -> pb.ContextVariable:
        store_ = self._contexts()
        env_id = request_env(request)
        modes = {pb.CONTEXT_WRITE_UPSERT: "upsert", pb.CONTEXT_WRITE_CREATE: "create",
                 pb.CONTEXT_WRITE_UPDATE: "update"}
        if request.mode not in modes:
            raise BadRequest(f"unknown context write mode {request.mode}")
        var = await store_.write(env_id, await store_.project_id(env_id, request.project), request.key,
                               request.value_json,
                               description=request.description if request.HasField("description") else None,
                               secret=request.secret, mode=modes[request.mode],
                               updated_by=_text(request.updated_by, "updated_by", self._limits.max_name_length) or None)
        return wire.context_variable_to_proto(var)

    @rpc_errors
    async def DeleteContext(self, request: pb.DeleteContextRequest, context: Context) -> pb.DeleteContextResponse:
        store_ = self._contexts()
        env_id = request_env(request)
        await store_.delete(env_id, await store_.project_id(env_id, request.project), request.key)
        return pb.DeleteContextResponse()
