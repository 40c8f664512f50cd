"""A sandbox worker process: `python -m services.sandbox.worker`, started by `pool.WorkerPool`.

Protocol (length-prefixed JSON frames, `frames.py`): the parent's first frame is `init` (limits,
allow-listed variables); the worker answers `ready`. Then, one job at a time, `inspect` (load a
build, return its functions) or `run` (call a function of a build); the worker answers `done`
with the outcome, posting `print`, `stream_data` and `spans` frames and making `send` and
`need_build` requests (answered by `reply` frames) meanwhile. `stop` asks the current job to stop.

The protocol uses the pipes the parent gave as stdin and stdout; file descriptor 1 is then
pointed at stderr, so nothing the interpreter writes can corrupt a frame.

Memory: the worker caps its own address space (`RLIMIT_AS`) at the limit the parent sends.
The interpreter runs each call on threads with a large stack (`hotlang.runtime.limits`,
512 MB by default) and RLIMIT_AS counts stack reservations, so workers use
`WORKER_STACK_BYTES` (64 MB, still enough for the interpreter's 60,000-call depth limit) and
glibc is limited to two malloc arenas (`MALLOC_ARENA_MAX`, set by the parent): a run with a few
`parallel` branches then fits a 512 MB limit with room for its data.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, BinaryIO

import hotlang.runtime.limits as interpreter_limits
from hotlang import (
    HotCancelled,
    HotError,
    HotFailure,
    HotMemoryLimit,
    HotStopped,
    HotSyntaxError,
    HotTimeLimit,
    Limits,
    Program,
    load_program,
    to_json,
)
from hotlang.library.http_body import close_open_streams
from hotlang.runtime.egress import HttpOptions
from services.core.context import Masker
from services.sandbox.channel import Channel
from services.sandbox.frames import read_frame_blocking
from services.sandbox.spans import SpanRecorder
from services.sandbox.worker_host import LoadHost, WorkerHost

WORKER_STACK_BYTES = 64 * 1024 * 1024
"""Stack of each interpreter thread in a worker (see the module docstring)."""


class Worker:
    """The worker's state: its settings, its channel and its cache of loaded programs (LRU)."""

    def __init__(self, channel: Channel, config: dict[str, Any]) -> None:
        self.channel = channel
        self.env: dict[str, str] = {str(k): str(v) for k, v in dict(config.get("env") or {}).items()}
        self.memory_mb = int(config["memory_mb"])
        self.load_timeout_s = float(config["load_timeout_s"])
        self.max_result_bytes = int(config["max_result_bytes"])
        self.max_output_bytes = int(config["max_output_bytes"])
        self.max_stream_payload_bytes = int(config["max_stream_payload_bytes"])
        self.max_spans = int(config["max_spans_per_run"])
        self.max_builds = int(config.get("max_builds", 16))
        self.http = http_options(config.get("http"))
        self.load_limits = Limits(**dict(config.get("load_limits") or {"max_seconds": self.load_timeout_s}))
        """Top-level code runs under the run size limits and the load time limit."""
        self.programs: OrderedDict[tuple[str, bool], Program] = OrderedDict()
        self.busy = threading.Lock()

    # ----- jobs ---------------------------------------------------------------------------

    def start_job(self, message: dict[str, Any]) -> None:
        if not self.busy.acquire(blocking=False):
            self.channel.post({"op": "done", "id": message.get("id"),
                               "outcome": {"status": "internal", "msg": "worker is busy"}})
            return
        self.channel.stop.clear()
        job: Callable[[dict[str, Any]], dict[str, Any]] = self.inspect if message["op"] == "inspect" else self.run
        thread = threading.Thread(target=self._job, args=(job, message), name="sandbox-job", daemon=True)
        thread.start()

    def _job(self, job: Callable[[dict[str, Any]], dict[str, Any]], message: dict[str, Any]) -> None:
        try:
            peak_before = _peak_address_space()
            try:
                outcome = job(message)
            except MemoryError:
                outcome = {"status": "memory"}
            except BaseException as err:  # noqa: BLE001 - reported to the parent, the worker lives on
                out_of_room = _caused_by_memory(err) or "can't start new thread" in str(err)
                outcome = {"status": "memory"} if out_of_room else {
                    "status": "internal", "msg": f"{type(err).__name__}: {err}"}
            if _python_failure(outcome) and _hit_the_memory_limit(peak_before):
                outcome = {"status": "memory"}  # CPython out of room mid-call raises odd errors, not MemoryError
            if outcome.get("status") in DIRTY_STATUSES or _run_threads_alive():
                outcome["retire"] = True  # a stopped run may leave threads or state behind: start afresh
            self.busy.release()  # before `done`: the parent may send the next job at once
            self.channel.post({"op": "done", "id": message.get("id"), "outcome": outcome})
        except MemoryError:
            os._exit(70)  # nothing left to report with: the parent sees the worker die

    def program(self, build_id: str, traced: bool, files: dict[str, str] | None) -> Program:
        """The loaded build (asking the parent for its files on a cache miss)."""
        key = (build_id, traced)
        program = self.programs.get(key)
        if program is not None:
            self.programs.move_to_end(key)
            return program
        if files is None:
            reply = self.channel.request({"op": "need_build", "build_id": build_id})
            files = reply.get("files")
            if not isinstance(files, dict):
                raise HotError(f"build {build_id} has no sources")
        program = load_program({str(k): str(v) for k, v in files.items()},
                               host=LoadHost(self.channel, self.env, self.http), limits=self.load_limits, traced=traced)
        self.programs[key] = program
        while len(self.programs) > self.max_builds:
            self.programs.popitem(last=False)
        return program

    def inspect(self, message: dict[str, Any]) -> dict[str, Any]:
        """Load a build (running its top-level code) and list its functions."""
        try:
            program = self.program(str(message["build_id"]), bool(message.get("traced")), message.get("files"))
        except HotTimeLimit:
            return {"status": "timeout"}
        except HotSyntaxError as err:
            return {"status": "syntax", "msg": err.format()}
        except HotError as err:
            if _caused_by_memory(err):
                return {"status": "memory"}
            return {"status": "error", "msg": str(err)}
        functions = [{"ns": f.ns, "name": f.name, "qualified": f.qualified, "meta": _plain(f.meta), "file": f.file,
                      "line": f.line, "column": f.column} for f in program.functions()]
        return {"status": "ok", "functions": functions}

    def run(self, message: dict[str, Any]) -> dict[str, Any]:
        """Call `fn(*args)` of a build under the run's limits."""
        try:
            program = self.program(str(message["build_id"]), bool(message.get("traced")), message.get("files"))
        except HotTimeLimit:
            return {"status": "error", "msg": f"build failed to load: its top-level code ran longer than the load "
                                              f"time limit of {self.load_timeout_s:g} seconds (HOT_LOAD_TIMEOUT)"}
        except HotSyntaxError as err:
            return {"status": "error", "msg": f"build failed to load: {err.format()}"}
        except HotError as err:
            if _caused_by_memory(err):
                return {"status": "memory"}
            return {"status": "error", "msg": f"build failed to load: {err}"}
        trace = message.get("trace")
        spans = None
        if isinstance(trace, dict) and program.traced:
            spans = SpanRecorder(str(trace["trace_id"]), str(trace["span_id"]), self.max_spans,
                                 lambda batch: self.channel.post({"op": "spans", "spans": batch}))
        host = WorkerHost(self.channel, info=message.get("info"), env=self.env,
                          max_stream_payload_bytes=self.max_stream_payload_bytes,
                          max_output_bytes=self.max_output_bytes, spans=spans, http=self.http)
        limits = Limits(**dict(message.get("limits") or {}))
        raw_ctx = message.get("ctx")
        ctx = {str(k): v for k, v in raw_ctx.items()} if isinstance(raw_ctx, dict) else {}
        secret_keys = frozenset(str(k) for k in message.get("secret_keys") or [])
        # stderr (`::hot::io/eprint`, `tap`) reaches the service's log: the run's secrets are masked there.
        STDERR.masker = Masker(ctx[k] for k in secret_keys if k in ctx)

        def on_secret(value: Any) -> None:
            # Posted before anything the run writes next: the parent masks it from then on.
            plain = _json_or_none(value)
            STDERR.masker.add([plain])
            self.channel.post({"op": "secrets", "values": [plain]})

        self.channel.post({"op": "started"})
        try:
            value = program.call(str(message["fn"]), list(message.get("args") or []), host=host, limits=limits,
                                 tracer=spans, ctx=ctx, secret_keys=secret_keys, on_secret=on_secret)
            outcome = self._result(value)
        except HotTimeLimit:
            outcome = {"status": "timeout"}
        except HotStopped:
            outcome = {"status": "stopped"}
        except HotCancelled as err:
            outcome = {"status": "cancelled", "msg": err.msg, "data": _json_or_none(err.data)}
        except HotFailure as err:
            outcome = {"status": "failed", "msg": err.msg, "err": _json_or_none(err.err)}
        except HotError as err:
            outcome = {"status": "memory"} if _caused_by_memory(err) else {"status": "error", "msg": str(err)}
        finally:
            close_open_streams()  # an HTTP stream the run left open is closed with it (its span ends too)
        if spans is not None:
            spans.flush()
            outcome["spans_dropped"] = spans.dropped
        STDERR.masker = Masker()
        return outcome

    def _result(self, value: Any) -> dict[str, Any]:
        try:
            result = to_json(value)
            size = len(json.dumps(result, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        except (ValueError, TypeError, HotError) as err:
            return {"status": "error", "msg": f"result is not serialisable: {err}"}
        if size > self.max_result_bytes:
            return {"status": "error", "msg": f"Run result is {size} bytes, over the limit of "
                                              f"{self.max_result_bytes} bytes (HOT_MAX_RESULT_BYTES)"}
        return {"status": "ok", "value": result}


def http_options(config: Any) -> HttpOptions:
    """The `::hot::http` options the parent sent (`HttpSettings`), or the strict defaults."""
    if not isinstance(config, dict):
        return HttpOptions()
    fields = dict(config)
    for name in ("allow", "deny"):
        fields[name] = tuple(str(item) for item in fields.get(name) or ())
    return HttpOptions(**fields)
class _MaskedStderr:
    """The worker's `sys.stderr`: writes pass through with the current run's secrets masked."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self.masker = Masker()

    def write(self, text: str) -> int:
        return int(self._target.write(self.masker.text(text) if self.masker else text))

    def flush(self) -> None:
        self._target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


STDERR = _MaskedStderr(sys.stderr)


DIRTY_STATUSES = frozenset({"timeout", "stopped", "memory", "internal"})
"""Outcomes after which the worker is replaced rather than reused."""


_PYTHON_ERROR = re.compile(r"\b(SystemError|TypeError|RuntimeError|AttributeError|KeyError|IndexError)\b")


def _python_failure(outcome: dict[str, Any]) -> bool:
    """An internal error, or a Hot error wrapping a Python exception: what memory exhaustion looks like."""
    status = outcome.get("status")
    return status == "internal" or (status == "error" and bool(_PYTHON_ERROR.search(str(outcome.get("msg", "")))))


def _peak_address_space() -> int:
    """This process's peak virtual memory (`VmPeak`), in bytes; 0 when unknown."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _hit_the_memory_limit(peak_before: int) -> bool:
    """Whether this job took the worker's address space to (nearly) its `RLIMIT_AS`."""
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    peak = _peak_address_space()
    return limit > 0 and peak > peak_before and peak >= 0.9 * limit


def _run_threads_alive() -> bool:
    """Whether any interpreter thread of the finished job is still running (stuck past its limit)."""
    return any(thread.name == "hot-run" and thread.is_alive() for thread in threading.enumerate())


def _caused_by_memory(error: BaseException | None) -> bool:
    """Whether `error` is, or was raised while handling, a MemoryError (natives wrap it in a halt)."""
    seen = 0
    while error is not None and seen < 32:
        if isinstance(error, (MemoryError, HotMemoryLimit)):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _json_or_none(value: Any) -> Any:
    if value is None:
        return None
    try:
        return to_json(value)
    except Exception:  # noqa: BLE001 - data that is not JSON is reported as text
        return str(value)


def _plain(value: Any) -> Any:
    """Function meta as JSON (meta is plain data already; anything else becomes text)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return str(value)


def _pipes() -> tuple[BinaryIO, BinaryIO]:
    """Take stdin/stdout for the protocol; point fd 0 at /dev/null and fd 1 at stderr."""
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return proto_in, proto_out


def main() -> None:
    proto_in, proto_out = _pipes()
    init = read_frame_blocking(proto_in)
    if init is None or init.get("op") != "init":
        sys.exit(2)
    channel = Channel(proto_out)
    STDERR._target = sys.stderr
    sys.stderr = STDERR  # type: ignore[assignment]
    worker = Worker(channel, init)
    interpreter_limits.STACK_BYTES = WORKER_STACK_BYTES
    limit = worker.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    channel.post({"op": "ready", "pid": os.getpid()})
    while True:
        message = read_frame_blocking(proto_in)
        if message is None:
            return  # the parent closed the pipe: shut down
        op = message.get("op")
        if op == "reply":
            channel.settle(message)
        elif op == "stop":
            channel.stop.set()
        elif op in ("run", "inspect"):
            worker.start_job(message)


if __name__ == "__main__":
    main()
