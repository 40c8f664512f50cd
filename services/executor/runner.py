"""Processing one delivered event: route it to handlers and run each one to a terminal state.

The JetStream message is acknowledged by the caller only after `process_event` returns,
that is after every selected handler has a terminal row: a crash before that means
redelivery (at-least-once), and on redelivery handlers that already finished are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from hotlang import HotCancelled, HotError, HotFailure, Program, to_json
from services.core import ids, model, subjects
from services.core.db import Pool
from services.core.wire import dumps
from services.executor import store
from services.executor.builds import BuildCache
from services.executor.host import PublishFn, RunHost, SendFn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: model.RunStatus
    result: Any


@dataclass
class Counters:
    runs_in_flight: int = 0
    runs_finished: int = 0
    events_acked: int = 0


class EventRunner:
    """Runs the handlers an event selects; one instance per executor process."""

    def __init__(self, pool: Pool, builds: BuildCache, *, send: SendFn, publish: PublishFn,
                 threads: ThreadPoolExecutor, run_timeout_s: float) -> None:
        self._pool = pool
        self._builds = builds
        self._send = send
        self._publish = publish
        self._threads = threads
        self._run_timeout_s = run_timeout_s
        self.counters = Counters()

    async def process_event(self, event_id: str, *, redelivered: bool = False) -> None:
        """Run every handler the event selects. On a redelivery, runs a crashed delivery left
        `running` are failed first, and handlers that already finished are skipped."""
        event = await store.load_event(self._pool, event_id)
        if event is None:
            log.warning("event %s not found; dropping its message", event_id)
            return
        if redelivered:
            await store.fail_stale_runs(self._pool, event.event_id)
        if event.event_type == "hot:call":
            if not (redelivered and await store.has_finished_run(self._pool, event.event_id)):
                await self._run_call(event)
        else:
            handlers = await store.handlers_for(self._pool, event.env_id, event.event_type)
            done = await store.finished_handler_ids(self._pool, event.event_id) if handlers and redelivered else set()
            run_type = model.RunType.for_event_type(event.event_type)
            # Handlers of one event run serially; one failing does not stop the others.
            for handler in handlers:
                if handler.event_handler_id in done:
                    continue
                program = await self._builds.get(handler.build_id)
                await self._run(event, run_type, handler, handler.build_id, handler.project_id,
                                program, handler.qualified, [self._event_arg(event)])
        await store.mark_event_completed(self._pool, event.event_id)

    @staticmethod
    def _event_arg(event: model.Event) -> dict[str, Any]:
        return {"type": event.event_type, "data": event.event_data}

    async def _run_call(self, event: model.Event) -> None:
        """`hot:call {fn, args}`: one `call` run of `fn(*args)` in the deployed build that has it."""
        data = event.event_data if isinstance(event.event_data, dict) else {}
        fn = data.get("fn")
        args = data.get("args", [])
        if args is None:
            args = []
        program: Program | None = None
        build_id = project_id = None
        if isinstance(fn, str):
            for candidate_build, candidate_project in await store.deployed_build_ids(self._pool, event.env_id):
                candidate = await self._builds.get(candidate_build)
                if any(f.qualified == fn for f in candidate.functions()):
                    program, build_id, project_id = candidate, candidate_build, candidate_project
                    break
        if program is None or not isinstance(args, list):
            message = (f"Function '{fn}' not found in any deployed build" if isinstance(args, list)
                       else "hot:call expects 'args' to be a list")
            if not isinstance(fn, str):
                message = "hot:call expects 'fn' to be a qualified function name like '::app::math/add'"
            run = await self._start(event, model.RunType.CALL, None, None, None, str(fn))
            await self._finish(run, Outcome(model.RunStatus.FAILED, model.failure_result(message)))
            return
        assert isinstance(fn, str)
        await self._run(event, model.RunType.CALL, None, build_id, project_id, program, fn, list(args))

    async def _start(self, event: model.Event, run_type: model.RunType, handler: model.Handler | None,
                     build_id: str | None, project_id: str | None, fn_name: str) -> model.Run:
        run = await store.insert_running_run(self._pool, run_id=ids.new_id(), event=event, run_type=run_type,
                                             handler=handler, build_id=build_id, project_id=project_id,
                                             fn_name=fn_name)
        await self._announce("run:start", run)
        return run

    async def _run(self, event: model.Event, run_type: model.RunType, handler: model.Handler | None,
                   build_id: str | None, project_id: str | None, program: Program, fn_name: str,
                   args: list[Any]) -> None:
        run = await self._start(event, run_type, handler, build_id, project_id, fn_name)
        host = RunHost(asyncio.get_running_loop(), env_id=event.env_id, stream_id=event.stream_id,
                       run_id=run.run_id, send=self._send, publish=self._publish)
        self.counters.runs_in_flight += 1
        try:
            outcome = await self._execute(lambda: program.call(fn_name, args, host=host))
        finally:
            self.counters.runs_in_flight -= 1
        await self._finish(run, outcome)

    async def _execute(self, call: Callable[[], Any]) -> Outcome:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            value = await asyncio.wait_for(loop.run_in_executor(self._threads, call), self._run_timeout_s)
        except TimeoutError:
            seconds = round(time.monotonic() - started)
            return Outcome(model.RunStatus.FAILED, model.failure_result(f"Run timed out after {seconds} seconds"))
        except HotFailure as err:
            return Outcome(model.RunStatus.FAILED, model.failure_result(err.msg, _json_or_none(err.err)))
        except HotCancelled as err:
            return Outcome(model.RunStatus.CANCELLED, model.cancellation_result(err.msg, _json_or_none(err.data)))
        except HotError as err:
            return Outcome(model.RunStatus.FAILED, model.failure_result(str(err)))
        except Exception as err:
            log.exception("unexpected error while running a handler")
            return Outcome(model.RunStatus.FAILED, model.failure_result(f"internal error: {err}"))
        try:
            return Outcome(model.RunStatus.SUCCEEDED, to_json(value))
        except Exception as err:  # noqa: BLE001
            return Outcome(model.RunStatus.FAILED, model.failure_result(f"result is not serialisable: {err}"))

    async def _finish(self, run: model.Run, outcome: Outcome) -> None:
        stop = await store.finish_run(self._pool, run, outcome.status, outcome.result)
        self.counters.runs_finished += 1
        if stop is None:
            log.info("run %s had already ended; result discarded", run.run_id)
            return
        name = {model.RunStatus.SUCCEEDED: "run:stop", model.RunStatus.CANCELLED: "run:cancel"}.get(
            outcome.status, "run:fail")
        await self._announce(name, run)

    async def _announce(self, kind: str, run: model.Run) -> None:
        """Publish a lifecycle ping on the stream's live subject; subscribers re-read the run."""
        body = dumps({"type": kind, "run_id": run.run_id, "stream_id": run.stream_id, "env_id": run.env_id,
                      "event_id": run.event_id, "run_type": run.run_type.label, "fn_name": run.fn_name})
        try:
            await self._publish(subjects.live_subject(run.env_id, run.stream_id), body.encode())
        except Exception as exc:  # noqa: BLE001 - live pings are loss-tolerant
            log.debug("lifecycle publish failed: %s", exc)


def _json_or_none(value: Any) -> Any:
    if value is None:
        return None
    try:
        return to_json(value)
    except Exception:  # noqa: BLE001
        return str(value)
