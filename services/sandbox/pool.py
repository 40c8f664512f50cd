"""The parent side: a pool of pre-started worker processes, each running one job at a time.

`WorkerPool.run` hands a call to an idle worker and serves its requests (`send`, stream data,
`print`, spans, the build's sources) until it answers. The parent never trusts a worker: frames
are size-capped JSON, checked for shape; a worker that sends garbage, dies, passes its time limit
plus `KILL_GRACE_S`, or grows past its memory limit is killed (SIGKILL) and replaced, and only the
job it was running fails. `inspect` loads a build in a worker (its top-level code runs there,
under `HOT_LOAD_TIMEOUT` and the memory limit) and returns its functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import hotlang
import services
from hotlang import FunctionInfo, Limits
from services.core.config import SandboxSettings
from services.sandbox.frames import FrameCut, FrameError, encode_frame, read_frame

log = logging.getLogger(__name__)

KILL_GRACE_S = 2.0
"""After a time limit (or a stop request), how long a worker may take to answer before SIGKILL."""
MEMORY_SAMPLE_S = 0.25
"""How often the parent samples a busy worker's resident memory."""
START_TIMEOUT_S = 30.0
FRAME_OVERHEAD_BYTES = 16 * 1024 * 1024
"""Room in a frame beyond the payload caps (a batch of spans, a `send` payload)."""
TRUNCATED_MARKER = "\n…[output truncated]\n"

FilesOf = Callable[[str], Awaitable[dict[str, str]]]
"""The sources of a build by id (the executor reads them from PostgreSQL)."""


class SandboxError(Exception):
    """The pool cannot run a job (it is closed, or a worker would not start)."""


class LoadFailed(Exception):
    """A build did not load in its worker; `str()` is the message for the deployer."""


class RunEffects(Protocol):
    """What a run's host calls do in the parent."""

    async def send(self, event_type: str, data: Any, traceparent: str) -> dict[str, Any]:
        """Publish a child event; returns its EventInfo."""

    async def stream_data(self, data_type: str, payload: Any) -> None:
        """Publish a live stream data item."""

    def spans(self, records: list[dict[str, Any]]) -> None:
        """Finished interpreter spans, as `services.sandbox.spans.span_record` dicts."""


def _report_secrets(effects: RunEffects, values: list[Any]) -> None:
    """Values the run made secret (`::hot::ctx/set-secret`), for effects that mask them (optional)."""
    hook = getattr(effects, "secrets", None)
    if callable(hook):
        hook(values)


@dataclass(frozen=True)
class RunCall:
    """One call to run in a worker."""

    build_id: str
    fn: str
    args: list[Any]
    limits: Limits
    info: dict[str, Any]
    traced: bool = False
    trace_id: str = ""
    """With `run_span_id`, the `hot.run` span the interpreter's spans hang off (empty: no spans)."""
    run_span_id: str = ""
    ctx: dict[str, Any] = field(default_factory=dict)
    """The run's context (plain JSON values), what `::hot::ctx/get` reads."""
    secret_keys: tuple[str, ...] = ()
    """Keys of `ctx` that are secret: the worker reports values it makes secret under them."""


@dataclass
class RunResult:
    """How a call ended. `status` is the worker's (`ok`, `failed`, `cancelled`, `stopped`, `error`,
    `timeout`, `memory`) or the parent's (`timeout` and `memory` when it killed the worker,
    `died`, `aborted` when `stop` was set); `msg` names the limit or the error."""

    status: str
    value: Any = None
    msg: str = ""
    data: Any = None
    output: str = ""
    output_truncated: bool = False
    spans_dropped: int = 0


def run_limits(settings: SandboxSettings, timeout_s: float) -> Limits:
    """The interpreter limits of one run: the ONE place they are built from settings."""
    return Limits(max_seconds=timeout_s, max_items=settings.run_max_items, max_bytes=settings.run_max_bytes,
                  max_int_digits=settings.run_max_int_digits, max_threads=settings.run_max_threads)


def timed_out_message(seconds: float) -> str:
    shown = int(seconds) if float(seconds).is_integer() else seconds
    return f"Run timed out after {shown} seconds"


def memory_message(settings: SandboxSettings) -> str:
    return f"Run exceeded the memory limit of {settings.memory_mb} MB (HOT_WORKER_MEMORY_MB)"


def worker_environment(settings: SandboxSettings) -> dict[str, str]:
    """The whole environment of a worker: what Python needs to import our code, and the variables the
    operator allow-lists for Hot code. Never the service's own (DATABASE_URL, NATS_URL, credentials)."""
    roots = sorted({str(Path(services.__file__).resolve().parent.parent),
                    str(Path(hotlang.__file__).resolve().parent.parent)})
    return {**settings.code_env, "PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONPATH": os.pathsep.join(roots),
            "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1"}


class _Worker:
    """One worker process, as the parent sees it."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        assert proc.stdin is not None and proc.stdout is not None
        self.stdin = proc.stdin
        self.stdout = proc.stdout
        self.lock = asyncio.Lock()
        self.jobs = 0
        self.killed = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def post(self, message: dict[str, Any]) -> None:
        async with self.lock:
            self.stdin.write(encode_frame(message))
            await self.stdin.drain()

    def kill(self) -> None:
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)

    def rss_bytes(self) -> int:
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    async def death(self) -> str:
        """Why the process ended (waits for it): `worker process died: signal N` / `exit code N`."""
        code = await self.proc.wait()
        if code == -signal.SIGSEGV:
            # In an interpreter that checks every size and depth it can, a segfault is the C stack
            # overflowing: recursion deeper than the worker's stack holds.
            return ("maximum call depth exceeded: the recursion overflowed the worker's stack "
                    "(worker process died: signal 11, SIGSEGV)")
        return f"worker process died: signal {-code}" if code < 0 else f"worker process died: exit code {code}"


@dataclass
class _Conversation:
    output: list[str] = field(default_factory=list)
    output_bytes: int = 0
    truncated: bool = False
    spans: int = 0
    started: bool = False
    """The worker has the build loaded and began the call (its time limit runs from here)."""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class WorkerPool:
    """`size` pre-started workers; see the module docstring. `files_of` serves `need_build`."""

    def __init__(self, settings: SandboxSettings, *, size: int | None = None, files_of: FilesOf | None = None,
                 name: str = "sandbox") -> None:
        self.settings = settings
        self.size = size or settings.workers
        self._files_of = files_of
        self._name = name
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._spawning: set[asyncio.Task[None]] = set()
        self._closed = False
        self.replaced = 0
        """Workers killed or lost and replaced since start (a health figure)."""
        self._max_frame = max(settings.max_result_bytes, settings.max_stream_payload_bytes,
                              settings.max_output_bytes) * 2 + FRAME_OVERHEAD_BYTES

    # ----- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker and wait until each is ready."""
        for worker in await asyncio.gather(*(self._spawn() for _ in range(self.size))):
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        """Stop every worker: close its pipe (it exits), SIGKILL it if it does not."""
        self._closed = True
        for task in list(self._spawning):
            task.cancel()
        for worker in list(self._all):
            with contextlib.suppress(Exception):
                worker.stdin.close()
        for worker in list(self._all):
            try:
                await asyncio.wait_for(worker.proc.wait(), 2.0)
            except TimeoutError:
                worker.kill()
                await worker.proc.wait()
        self._all.clear()

    def idle(self) -> int:
        """Workers waiting for a job (a health figure; tests wait on it)."""
        return self._idle.qsize()

    def pids(self) -> list[int]:
        """The process ids of the live workers (for tests and health)."""
        return [w.pid for w in self._all if w.proc.returncode is None]

    async def _spawn(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.sandbox.worker", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=worker_environment(self.settings), start_new_session=True)
        worker = _Worker(proc)
        self._all.add(worker)
        s = self.settings
        await worker.post({"op": "init", "env": dict(s.code_env), "memory_mb": s.memory_mb,
                           "load_timeout_s": s.load_timeout_s, "max_result_bytes": s.max_result_bytes,
                           "max_output_bytes": s.max_output_bytes,
                           "max_stream_payload_bytes": s.max_stream_payload_bytes,
                           "max_spans_per_run": s.max_spans_per_run,
                           "load_limits": dataclasses.asdict(run_limits(s, s.load_timeout_s)),
                           "http": dataclasses.asdict(s.http)})
        try:
            ready = await asyncio.wait_for(read_frame(worker.stdout, self._max_frame), START_TIMEOUT_S)
        except (TimeoutError, FrameError) as err:
            ready = None
            log.error("%s worker %d did not start: %s", self._name, worker.pid, err)
        if ready is None or ready.get("op") != "ready":
            worker.kill()
            self._all.discard(worker)
            raise SandboxError(f"{self._name} worker did not start ({await worker.death()})")
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement in the background."""
        worker.kill()
        self._all.discard(worker)
        self.replaced += 1
        if self._closed:
            return

        async def replace() -> None:
            await worker.proc.wait()
            while not self._closed:
                try:
                    self._idle.put_nowait(await self._spawn())
                    return
                except SandboxError as err:
                    log.error("%s", err)
                    await asyncio.sleep(1.0)

        task = asyncio.create_task(replace())
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    @contextlib.asynccontextmanager
    async def _lease(self) -> Any:
        if self._closed:
            raise SandboxError("the sandbox pool is closed")
        worker = await self._idle.get()
        healthy = False
        try:
            yield worker
            healthy = not worker.killed and worker.proc.returncode is None
        finally:
            if healthy and not self._closed:
                self._idle.put_nowait(worker)
            elif worker in self._all:
                self._retire(worker)

    # ----- jobs -------------------------------------------------------------------------------

    async def inspect(self, build_id: str, files: dict[str, str] | None = None, *,
                      traced: bool = False) -> list[FunctionInfo]:
        """Load a build in a worker (its top-level code runs there) and return its functions.

        Raises LoadFailed with the formatted syntax error, or "build failed to load: …" naming the
        load time limit, the memory limit or the load error.
        """
        request = {"op": "inspect", "build_id": build_id, "traced": traced, "files": files}
        outcome = await self._job(request, None, self.settings.load_timeout_s, 0.0, None, _Conversation())
        status = outcome.get("status")
        if status == "ok":
            return _functions(outcome.get("functions"))
        if status == "syntax":
            raise LoadFailed(str(outcome.get("msg")))
        if status == "timeout":
            raise LoadFailed("build failed to load: its top-level code ran longer than the load time limit of "
                             f"{self.settings.load_timeout_s:g} seconds (HOT_LOAD_TIMEOUT)")
        if status == "memory":
            raise LoadFailed(f"build failed to load: it exceeded the memory limit of {self.settings.memory_mb} MB "
                             "(HOT_WORKER_MEMORY_MB)")
        raise LoadFailed(f"build failed to load: {outcome.get('msg')}")

    async def run(self, call: RunCall, effects: RunEffects, stop: asyncio.Event | None = None) -> RunResult:
        """Run `call` in a worker; see `RunResult` for how it can end. Setting `stop` asks the
        worker to stop (cancel, shutdown) and ends the job as `aborted`."""
        timeout_s = call.limits.max_seconds if call.limits.max_seconds is not None else 300.0
        trace = {"trace_id": call.trace_id, "span_id": call.run_span_id} if call.trace_id else None
        request = {"op": "run", "build_id": call.build_id, "fn": call.fn, "args": call.args,
                   "limits": dataclasses.asdict(call.limits), "info": call.info, "traced": call.traced,
                   "trace": trace, "ctx": call.ctx, "secret_keys": list(call.secret_keys)}
        talk = _Conversation()
        outcome = await self._job(request, effects, self.settings.load_timeout_s, timeout_s, stop, talk)
        status = str(outcome.get("status"))
        if status == "timeout" and not talk.started:
            outcome = {"status": "error", "msg": "build failed to load: its top-level code ran longer than the "
                       f"load time limit of {self.settings.load_timeout_s:g} seconds (HOT_LOAD_TIMEOUT)"}
            status = "error"
        result = RunResult(status=status, output="".join(talk.output), output_truncated=talk.truncated,
                           spans_dropped=_int(outcome.get("spans_dropped")))
        if status == "ok":
            result.value = outcome.get("value")
        elif status in ("failed", "cancelled"):
            result.msg = str(outcome.get("msg") or "")
            result.data = outcome.get("err") if status == "failed" else outcome.get("data")
        elif status == "timeout":
            result.msg = timed_out_message(timeout_s)
        elif status == "memory":
            result.msg = memory_message(self.settings)
        else:
            result.msg = str(outcome.get("msg") or status)
        return result

    async def _job(self, request: dict[str, Any], effects: RunEffects | None, load_s: float, run_s: float,
                   stop: asyncio.Event | None, talk: _Conversation) -> dict[str, Any]:
        async with self._lease() as worker:
            worker.jobs += 1
            try:
                return await self._converse(worker, request, effects, load_s, run_s, stop, talk)
            finally:
                for task in talk.tasks:
                    task.cancel()

    async def _converse(self, worker: _Worker, request: dict[str, Any], effects: RunEffects | None,
                        load_s: float, run_s: float, stop: asyncio.Event | None,
                        talk: _Conversation) -> dict[str, Any]:
        """Serve one job until the worker answers `done`, or kill the worker (see the module docstring).

        The job may first load its build (`load_s`, the load time limit); from the worker's `started`
        notice on, the call has `run_s` (the run's time limit); each plus `KILL_GRACE_S`.
        """
        memory_limit = self.settings.memory_mb * 1024 * 1024
        await worker.post(request)
        deadline = time.monotonic() + load_s + KILL_GRACE_S
        stopping = False
        frame: asyncio.Task[dict[str, Any] | None] = asyncio.create_task(read_frame(worker.stdout, self._max_frame))
        stopped = asyncio.create_task(stop.wait()) if stop is not None else None
        try:
            while True:
                waiting: set[asyncio.Future[Any]] = {frame}
                if stopped is not None and not stopping:
                    waiting.add(stopped)
                wait_s = max(0.0, min(MEMORY_SAMPLE_S, deadline - time.monotonic()))
                done, _ = await asyncio.wait(waiting, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
                if frame in done:
                    try:
                        message = frame.result()
                    except FrameCut:
                        return {"status": "died", "msg": await worker.death()}  # it died mid-message
                    except FrameError as err:
                        worker.kill()
                        return {"status": "error", "msg": f"worker process sent an invalid message: {err}"}
                    if message is None:
                        return {"status": "died", "msg": await worker.death()}
                    if message.get("op") == "done":
                        outcome = message.get("outcome")
                        if not isinstance(outcome, dict):
                            worker.kill()
                            return {"status": "error", "msg": "worker process sent an invalid outcome"}
                        if outcome.get("status") == "memory" or outcome.get("retire"):
                            worker.kill()  # its heap or its threads may be past use: recycle it
                        if stopping:
                            return {"status": "aborted"}
                        return outcome
                    if message.get("op") == "started" and not talk.started:
                        talk.started = True
                        if not stopping:
                            deadline = time.monotonic() + run_s + KILL_GRACE_S
                    else:
                        self._serve(worker, message, effects, talk)
                    frame = asyncio.create_task(read_frame(worker.stdout, self._max_frame))
                if stopped is not None and stopped.done() and not stopping:
                    stopping = True
                    with contextlib.suppress(OSError, RuntimeError):
                        await worker.post({"op": "stop"})
                    deadline = min(deadline, time.monotonic() + KILL_GRACE_S)
                if time.monotonic() >= deadline:
                    worker.kill()
                    return {"status": "aborted" if stopping else "timeout"}
                if worker.rss_bytes() > memory_limit:
                    worker.kill()
                    return {"status": "memory"}
        finally:
            frame.cancel()
            if stopped is not None:
                stopped.cancel()

    def _serve(self, worker: _Worker, message: dict[str, Any], effects: RunEffects | None,
               talk: _Conversation) -> None:
        """One request or notice of a running job."""
        op = message.get("op")
        if op == "print":
            self._print(message, talk)
        elif op == "stream_data" and effects is not None:
            data_type = message.get("data_type")
            if isinstance(data_type, str):
                self._spawn_task(talk, effects.stream_data(data_type, message.get("payload")))
        elif op == "spans" and effects is not None:
            records = message.get("spans")
            if isinstance(records, list):
                room = max(0, self.settings.max_spans_per_run - talk.spans)
                accepted = [r for r in records[:room] if isinstance(r, dict)]
                talk.spans += len(accepted)
                effects.spans(accepted)
        elif op == "secrets" and effects is not None:
            values = message.get("values")
            if isinstance(values, list):
                _report_secrets(effects, values)
        elif op == "send" and effects is not None:
            self._spawn_task(talk, self._answer_send(worker, message, effects))
        elif op == "need_build":
            self._spawn_task(talk, self._answer_build(worker, message))

    def _print(self, message: dict[str, Any], talk: _Conversation) -> None:
        text = message.get("text")
        if talk.truncated or not isinstance(text, str):
            return
        # Stored as PostgreSQL text: no NUL, no lone surrogate.
        text = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
        size = len(text.encode("utf-8", "replace"))
        room = self.settings.max_output_bytes - talk.output_bytes
        if size > room or message.get("truncated") is True:
            text = text.encode("utf-8", "replace")[: max(0, room)].decode("utf-8", "ignore") + TRUNCATED_MARKER
            talk.truncated = True
        talk.output.append(text)
        talk.output_bytes += size

    @staticmethod
    def _spawn_task(talk: _Conversation, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception as exc:  # noqa: BLE001 - a failed effect is the run's problem, not the pool's
                log.debug("sandbox effect failed: %s", exc)

        task = asyncio.create_task(guarded())
        talk.tasks.add(task)
        task.add_done_callback(talk.tasks.discard)

    async def _answer_send(self, worker: _Worker, message: dict[str, Any], effects: RunEffects) -> None:
        event_type, traceparent = message.get("event_type"), message.get("traceparent")
        reply: dict[str, Any] = {"op": "reply", "rid": message.get("rid")}
        if not isinstance(event_type, str) or not isinstance(traceparent, str):
            reply["error"] = "send: malformed request"
        else:
            try:
                reply["info"] = await effects.send(event_type, message.get("data"), traceparent)
            except Exception as err:  # noqa: BLE001 - the Hot code sees the failure as a halt
                reply["error"] = f"send failed: {err}"
        await worker.post(reply)

    async def _answer_build(self, worker: _Worker, message: dict[str, Any]) -> None:
        build_id = message.get("build_id")
        reply: dict[str, Any] = {"op": "reply", "rid": message.get("rid")}
        if isinstance(build_id, str) and self._files_of is not None:
            reply["files"] = await self._files_of(build_id)
        await worker.post(reply)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _functions(raw: Any) -> list[FunctionInfo]:
    """FunctionInfos from a worker's `inspect` answer (malformed entries are skipped)."""
    functions = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            functions.append(FunctionInfo(ns=str(item["ns"]), name=str(item["name"]),
                                          qualified=str(item["qualified"]), meta=item.get("meta"),
                                          file=str(item["file"]), line=int(item["line"]),
                                          column=int(item["column"])))
        except (KeyError, TypeError, ValueError):
            continue
    return functions
