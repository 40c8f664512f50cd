"""Processing one delivered event: route it to handlers and run each one to a terminal state.

The JetStream message is acknowledged by the caller only after `process_event` returns,
that is after every selected handler has a terminal (or `pending_retry`) row: a crash
before that means redelivery (at-least-once). On redelivery (and on the replay of a dead
letter, which the consumer reports as one), runs a crashed delivery left `running` are
failed first and handlers that already finished are skipped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from services.core import ids, live, model, subjects
from services.core.config import SandboxSettings
from services.core.context import Masker, declarations
from services.core.db import Pool
from services.core.ids import parse_uuid
from services.executor import store
from services.executor.builds import BuildCache, LoadedBuild
from services.executor.builtins import Builtin, BuiltinFailure, ScheduleBuiltins
from services.executor.context import ContextLoader
from services.executor.host import PublishFn, RunSideEffects, SendFn, run_info
from services.executor.retry import RetryPolicy, timeout_seconds
from services.executor.routing import Routing
from services.executor.tracing import WorkerSpans, end_run_span, start_run_span, traceparent_of
from services.executor.writer import RunWriter, storable_finish
from services.sandbox.pool import RunCall, RunResult, WorkerPool, run_limits

log = logging.getLogger(__name__)

FUNCTION_EVENT_TYPES = frozenset({"hot:call", "hot:schedule"})
SHUTDOWN_MESSAGE = "Run interrupted: the executor shut down before it finished"


class Interrupted(Exception):
    """Processing stopped for shutdown; the message must be redelivered, not acknowledged."""


@dataclass(frozen=True)
class Attempt:
    """One handler (or function) to run for one event."""

    event: model.Event
    run_type: model.RunType
    fn_name: str
    args: list[Any]
    program: LoadedBuild | None
    handler: model.Handler | None = None
    build_id: str | None = None
    project_id: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = 300.0
    error: str | None = None  # set when the attempt cannot run at all (fails at once)
    builtin: Builtin | None = None  # a reserved event type handled by the platform itself


@dataclass(frozen=True)
class Outcome:
    status: model.RunStatus
    result: Any
    retriable: bool = True
    output: str | None = None
    output_truncated: bool = False


@dataclass
class InFlight:
    """A run being executed by this process; `abort` stops waiting for it (cancel or shutdown)."""

    run: model.Run
    abort: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""


@dataclass
class Counters:
    runs_in_flight: int = 0
    runs_finished: int = 0
    events_acked: int = 0


class EventRunner:
    """Runs the handlers an event selects; one instance per executor process."""

    def __init__(self, pool: Pool, builds: BuildCache, routing: Routing, *, sandbox: WorkerPool, send: SendFn,
                 publish: PublishFn, run_timeout_s: float, builtins: ScheduleBuiltins | None = None,
                 tracer: trace.Tracer | None = None, trace_calls: bool = False,
                 context: ContextLoader | None = None) -> None:
        self._pool = pool
        self._context = context
        self._sandbox = sandbox
        self._limits: SandboxSettings = sandbox.settings
        self._tracer = tracer or trace.get_tracer("hot.executor")
        self._trace_calls = trace_calls  # spans per Hot call: `builds` must load programs `traced`
        self._routing = routing
        self._writer = RunWriter(pool)
        self._builtins = builtins
        self._builds = builds
        self._send = send
        self._publish = publish
        self._run_timeout_s = run_timeout_s
        self._in_flight: dict[str, InFlight] = {}
        self._shutting_down = False
        self.counters = Counters()

    # ----- selecting what to run -------------------------------------------------------

    async def process_event(self, event_id: str, *, redelivered: bool = False, traceparent: str = "") -> None:
        """Run every handler the event selects (see the module docstring for the guarantees).

        `traceparent` is the W3C context the event was published in: each run's `hot.run` span
        continues that trace.
        """
        event = await store.load_event(self._pool, event_id)
        if event is None:
            log.warning("event %s not found; dropping its message", event_id)
            return
        if redelivered:
            failed = await store.fail_stale_runs(self._pool, event.event_id)
            if failed:
                log.warning("failed %d run(s) of event %s left running by a crashed delivery", failed, event_id)
        for attempt in await self._select(event, redelivered):
            if self._shutting_down:
                raise Interrupted(event_id)
            await self._run(attempt, traceparent)
        await store.mark_event_completed(self._pool, event.event_id)

    async def _select(self, event: model.Event, redelivered: bool) -> list[Attempt]:
        builtin = self._builtins.for_event_type(event.event_type) if self._builtins else None
        if builtin is not None or event.event_type in FUNCTION_EVENT_TYPES:
            # Reserved types are `once`: exactly one run per event, whatever is deployed.
            if redelivered and await store.has_finished_run(self._pool, event.event_id):
                return []
            if builtin is not None:
                return [Attempt(event, model.RunType.EVENT, event.event_type, [], None, builtin=builtin)]
            return [await self._function_attempt(event)]
        if event.target_handler_id:
            # A retry copy runs only the handler that failed, never its siblings.
            target = await store.handler_by_id(self._pool, event.target_handler_id)
            handlers = [target] if target else []
        else:
            handlers = await self._routing.handlers_for(event.env_id, event.event_type)
        done = await store.finished_handler_ids(self._pool, event.event_id) if handlers and redelivered else set()
        run_type = model.RunType.for_event_type(event.event_type)
        attempts = []
        for handler in handlers:
            if handler.event_handler_id in done:
                continue
            attempts.append(Attempt(
                event=event, run_type=run_type, fn_name=handler.qualified, args=[_event_arg(event)],
                program=await self._builds.get(handler.build_id), handler=handler, build_id=handler.build_id,
                project_id=handler.project_id, policy=RetryPolicy.from_meta(handler.meta),
                timeout_s=timeout_seconds(handler.meta, self._run_timeout_s)))
        return attempts

    async def _function_attempt(self, event: model.Event) -> Attempt:
        """`hot:call` / `hot:schedule` `{fn, args}`: `fn(*args)` in the deployed build that defines it."""
        run_type = model.RunType.for_event_type(event.event_type)
        data = event.event_data if isinstance(event.event_data, dict) else {}
        fn, args = data.get("fn"), data.get("args")
        args = [] if args is None else args
        if not isinstance(fn, str) or not fn.startswith("::") or "/" not in fn:
            return Attempt(event, run_type, str(fn), [], None,
                           error=f"{event.event_type} expects 'fn' to be a qualified name like '::app::math/add'")
        if not isinstance(args, list):
            return Attempt(event, run_type, fn, [], None, error=f"{event.event_type} expects 'args' to be a list")
        target = data.get("build_id") if event.event_type == "hot:schedule" else None
        if isinstance(target, str) and parse_uuid(target) is not None:
            # A schedule fire names the exact build the schedule belongs to.
            project = await store.build_project(self._pool, event.env_id, target)
            candidates = [(target, project)] if project else []
        else:
            candidates = await self._routing.deployed_builds(event.env_id)
        for build_id, project_id in candidates:
            program = await self._builds.get(build_id)
            info = next((f for f in program.functions() if f.qualified == fn), None)
            if info is not None:
                # hot:call runs are never retried (platform-spec §3.1); scheduled ones follow their meta.
                policy = RetryPolicy.from_meta(info.meta) if run_type is model.RunType.SCHEDULE else RetryPolicy()
                return Attempt(event, run_type, fn, list(args), program, build_id=build_id, project_id=project_id,
                               policy=policy, timeout_s=timeout_seconds(info.meta, self._run_timeout_s))
        return Attempt(event, run_type, fn, list(args), None, error=f"Function '{fn}' not found in any deployed build")

    # ----- running one attempt ------------------------------------------------------------

    async def _run(self, attempt: Attempt, traceparent: str = "") -> None:
        event = attempt.event
        pending = model.Run(
            run_id=ids.new_id(), env_id=event.env_id, stream_id=event.stream_id, run_type=attempt.run_type,
            status=model.RunStatus.RUNNING, start_time=datetime.now(UTC), build_id=attempt.build_id,
            event_id=event.event_id, project_id=attempt.project_id, fn_name=attempt.fn_name,
            retry_attempt=event.retry_attempt, origin_run_id=event.retry_of_run_id)
        start_time = await self._writer.start(
            pending, attempt.handler.event_handler_id if attempt.handler else None)
        run = dataclasses.replace(pending, start_time=start_time)
        run_span = start_run_span(self._tracer, run, traceparent)
        await self._announce(live.RUN_START, run)
        if attempt.builtin is not None:
            await self._finish(run, attempt.policy, await _run_builtin(attempt.builtin, event), run_span)
            return
        if attempt.program is None or attempt.error is not None:
            await self._finish(run, attempt.policy,
                               Outcome(model.RunStatus.FAILED, model.failure_result(attempt.error or "cannot run"),
                                       retriable=False), run_span)
            return
        run_ctx: dict[str, Any] = {}
        secret_keys: tuple[str, ...] = ()
        masker = Masker()
        if self._context is not None:
            decls = declarations((f.qualified, f.file, f.meta) for f in attempt.program.functions())
            loaded = await self._context.for_run(run.env_id, run.project_id, decls)
            run_ctx, secret_keys = loaded.values, tuple(sorted(loaded.secret_keys))
            masker.add(loaded.secret_values())
        spans = WorkerSpans(run_span, self._limits.max_spans_per_run, masker) if self._trace_calls else None
        traceparent = traceparent_of(run_span)
        effects = RunSideEffects(run, send=self._send, publish=self._publish, traceparent=traceparent,
                                 max_stream_payload_bytes=self._limits.max_stream_payload_bytes, spans=spans,
                                 masker=masker)
        context = run_span.get_span_context()
        call = RunCall(build_id=attempt.program.build_id, fn=attempt.fn_name, args=attempt.args,
                       limits=run_limits(self._limits, attempt.timeout_s), info=run_info(run, event, attempt.policy),
                       traced=self._trace_calls,
                       trace_id=f"{context.trace_id:032x}" if spans is not None and context.is_valid else "",
                       run_span_id=f"{context.span_id:016x}" if spans is not None and context.is_valid else "",
                       ctx=run_ctx, secret_keys=secret_keys)
        flight = InFlight(run)
        self._in_flight[run.run_id] = flight
        self.counters.runs_in_flight += 1
        try:
            result = _masked(await self._sandbox.run(call, effects, flight.abort), masker)
            outcome = _outcome_of(result, flight.reason)
        finally:
            self.counters.runs_in_flight -= 1
            del self._in_flight[run.run_id]
        if spans is not None:
            spans.dropped += result.spans_dropped
            spans.emit()
        await self._finish(run, attempt.policy, outcome, run_span, spans)
        if flight.reason == "shutdown":
            raise Interrupted(event.event_id)

    async def _finish(self, run: model.Run, policy: RetryPolicy, outcome: Outcome, run_span: trace.Span,
                      hot_tracer: WorkerSpans | None = None) -> None:
        status, result, _ = storable_finish(outcome.status, outcome.result, None)
        if status is not outcome.status or result is not outcome.result:
            # An unstorable result fails the run (not retried: it would fail again), announced as such.
            outcome = dataclasses.replace(outcome, status=status, result=result, retriable=False)
        # The root ends before the terminal write; the span store writes it shortly after.
        end_run_span(run_span, outcome.status, outcome.result, hot_tracer)
        retry_delay = None
        if (outcome.status is model.RunStatus.FAILED and outcome.retriable
                and run.run_type in (model.RunType.EVENT, model.RunType.SCHEDULE)
                and policy.should_retry(run.retry_attempt)):
            retry_delay = policy.delay_for(run.retry_attempt)
        stop = await self._writer.finish(run.run_id, outcome.status, outcome.result, retry_delay,
                                         output=outcome.output, output_truncated=outcome.output_truncated)
        self.counters.runs_finished += 1
        if stop is None:
            log.info("run %s had already ended (cancelled or reconciled); its result is discarded", run.run_id)
            return
        name = live.terminal_kind(outcome.status) or live.RUN_FAIL
        await self._announce(name, run)

    async def _announce(self, kind: str, run: model.Run) -> None:
        """Publish a lifecycle ping on the stream's live subject; subscribers re-read the run."""
        try:
            await self._publish(subjects.live_subject(run.env_id, run.stream_id),
                                live.encode(live.RunPing.of(kind, run)))
        except Exception as exc:  # noqa: BLE001 - live pings are loss-tolerant
            log.debug("lifecycle publish failed: %s", exc)

    # ----- control ------------------------------------------------------------------------

    def cancel_local(self, run_id: str) -> bool:
        """Stop waiting for a run this process executes (its cancellation is already recorded)."""
        flight = self._in_flight.get(run_id)
        if flight is None:
            return False
        flight.reason = "cancel"
        flight.abort.set()
        return True

    def interrupt_all(self) -> int:
        """Shutdown past the grace period: fail every in-flight run (retry applies) and stop."""
        self._shutting_down = True
        for flight in self._in_flight.values():
            flight.reason = "shutdown"
            flight.abort.set()
        return len(self._in_flight)

    def stop_accepting(self) -> None:
        self._shutting_down = True


async def _run_builtin(builtin: Builtin, event: model.Event) -> Outcome:
    try:
        return Outcome(model.RunStatus.SUCCEEDED, await builtin(event))
    except BuiltinFailure as err:
        return Outcome(model.RunStatus.FAILED, model.failure_result(str(err)), retriable=False)


def _event_arg(event: model.Event) -> dict[str, Any]:
    return {"type": event.event_type, "data": event.event_data}


def _masked(result: RunResult, masker: Masker) -> RunResult:
    """The call's outcome with the run's secrets masked: nothing of it is stored or logged unmasked."""
    if not masker:
        return result
    return dataclasses.replace(result, value=masker.value(result.value), msg=masker.text(result.msg),
                               data=masker.value(result.data), output=masker.text(result.output))


def _outcome_of(result: RunResult, abort_reason: str) -> Outcome:
    """The run's terminal state from how its sandboxed call ended (`RunResult.status`), with its output."""
    status, value, retriable = _terminal(result, abort_reason)
    return Outcome(status, value, retriable, output=result.output or None, output_truncated=result.output_truncated)


def _terminal(result: RunResult, abort_reason: str) -> tuple[model.RunStatus, Any, bool]:
    status = result.status
    if abort_reason == "cancel":  # a stop request wins over whatever the call did meanwhile
        return model.RunStatus.CANCELLED, model.cancellation_result("Run cancelled"), False
    if abort_reason == "shutdown" or status == "aborted":
        return model.RunStatus.FAILED, model.failure_result(SHUTDOWN_MESSAGE), True
    if status == "ok":
        return model.RunStatus.SUCCEEDED, result.value, True
    if status in ("cancelled", "stopped"):
        return model.RunStatus.CANCELLED, model.cancellation_result(result.msg, result.data), False
    if status == "failed":
        return model.RunStatus.FAILED, model.failure_result(result.msg, result.data), True
    if status == "internal":
        log.error("unexpected error while running a handler: %s", result.msg)
        return model.RunStatus.FAILED, model.failure_result(f"internal error: {result.msg}"), True
    return model.RunStatus.FAILED, model.failure_result(result.msg), True
