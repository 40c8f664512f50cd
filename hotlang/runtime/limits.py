"""Limits for hostile code: a time budget, a size guard and a call-depth limit (issue 3, point 5).

Every top-level call runs in a worker thread with a large stack, so deep
recursion through natives (``map`` calling a lambda calling ``map`` …) ends
with "maximum call depth exceeded" instead of overflowing the C stack. The
caller waits at most the time budget; when it runs out, a
:class:`~hotlang.errors.HotTimeLimit` is raised inside the worker at its next
bytecode, which unwinds the Hot code, and the caller gets the same error.
A host that can be told to stop (``check_cancelled`` raising, as the
executor's host does) stops pure Hot loops the same way, without the
interpreter having to poll. The process lives on in every case.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import copy_context
from dataclasses import dataclass
from typing import Any, TypeVar

from hotlang.errors import HotLimitExceeded, HotRuntimeError, HotStopped, HotTimeLimit

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024
"""Worker stack: enough for :data:`MAX_DEPTH` Hot calls even when each goes through a native."""

POLL_SECONDS = 0.05
"""How often a waiting caller checks the deadline and the host's stop request."""

MAX_DEPTH = 60_000
"""Python recursion limit while Hot code runs; non-tail Hot recursion ends here with a clear message."""


@dataclass(frozen=True)
class Limits:
    """Per-run limits. ``max_seconds`` None means no time budget (the default);
    ``max_items`` caps the length of any Vec, Map, Str or Bytes a core function builds (default 10,000,000)."""

    max_seconds: float | None = None
    max_items: int = 10_000_000


DEFAULT_LIMITS = Limits()
_local = threading.local()


def current_limits() -> Limits:
    """The limits of the run executing on this thread."""
    return getattr(_local, "limits", DEFAULT_LIMITS)  # type: ignore[no-any-return]


def check_size(count: int, what: str) -> None:
    """Halt if a core function is about to build a value longer than the size guard allows."""
    limit = current_limits().max_items
    if count > limit:
        raise HotLimitExceeded(f"{what} would hold {count:,} items, more than the limit of {limit:,}")


def run_limited(
    work: Callable[[], T], limits: Limits | None = None, *, stop_check: Callable[[], None] | None = None
) -> T:
    """Run ``work`` under ``limits`` in a large-stack worker thread; return its value or raise its error.

    ``stop_check`` (the host's ``check_cancelled``) is polled while waiting; when it raises, the
    run is stopped the same way as on timeout, with :class:`~hotlang.errors.HotStopped`.
    """
    limits = limits or DEFAULT_LIMITS
    if getattr(_local, "inside", False):
        return work()
    if sys.getrecursionlimit() < MAX_DEPTH:
        sys.setrecursionlimit(MAX_DEPTH)
    outcome: dict[str, Any] = {}
    threads: list[threading.Thread] = []
    thread = _start(lambda: _capture(work, outcome), limits, threads)
    deadline = None if limits.max_seconds is None else time.monotonic() + limits.max_seconds
    reason: type[HotTimeLimit] | type[HotStopped] | None = None
    while thread.is_alive() and reason is None:
        wait = POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))
        thread.join(wait)
        if not thread.is_alive():
            break
        if deadline is not None and time.monotonic() >= deadline:
            reason = HotTimeLimit
        elif stop_check is not None:
            try:
                stop_check()
            except HotRuntimeError:
                reason = HotStopped
    if reason is not None:
        for running in list(threads):  # the run's own thread and any `parallel`/`pmap` branches
            if running.is_alive():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(running.ident or 0), ctypes.py_object(reason))
        thread.join(1.0)
        if "value" not in outcome and "error" not in outcome:
            raise reason()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def _capture(work: Callable[[], Any], outcome: dict[str, Any]) -> None:
    try:
        outcome["value"] = work()
    except BaseException as error:  # noqa: BLE001 - handed to the waiting thread unchanged
        outcome["error"] = error


def _start(body: Callable[[], None], limits: Limits, threads: list[threading.Thread]) -> threading.Thread:
    """Start a large-stack daemon thread that runs ``body`` as part of the run owning ``threads``."""

    def worker() -> None:
        _local.inside = True
        _local.limits = limits
        _local.threads = threads
        body()

    previous = threading.stack_size()
    threading.stack_size(STACK_BYTES)
    try:
        thread = threading.Thread(target=worker, name="hot-run", daemon=True)
        threads.append(thread)
        thread.start()
    finally:
        threading.stack_size(previous)
    return thread


def _in_context(work: Callable[[], Any], outcome: dict[str, Any]) -> Callable[[], None]:
    context = copy_context()

    def body() -> None:
        context.run(_capture, work, outcome)

    return body


def run_concurrently(works: Sequence[Callable[[], T]]) -> list[T]:
    """Run branches of one run at the same time (``parallel``, ``pmap``); results in order.

    Each branch sees the caller's context variables (the run context) and limits;
    if any branch halts, the first halt in branch order is raised once all are done.
    """
    if len(works) < 2:
        return [work() for work in works]
    limits = current_limits()
    threads: list[threading.Thread] = getattr(_local, "threads", [])
    outcomes: list[dict[str, Any]] = [{} for _ in works]
    started = []
    for work, outcome in zip(works, outcomes, strict=True):
        started.append(_start(_in_context(work, outcome), limits, threads))
    for thread in started:
        while thread.is_alive():
            thread.join(0.05)  # short waits so a time-limit exception can reach this thread
    for outcome in outcomes:
        if "error" in outcome:
            raise outcome["error"]
    return [outcome["value"] for outcome in outcomes]
