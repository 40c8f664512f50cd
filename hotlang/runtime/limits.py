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
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import copy_context
from dataclasses import dataclass
from typing import Any, TypeVar

from hotlang.errors import (
    HotLimitExceeded,
    HotMemoryLimit,
    HotRuntimeError,
    HotStopped,
    HotTimeLimit,
    is_uncatchable,
)

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024
"""Worker stack: enough for :data:`MAX_DEPTH` Hot calls even when each goes through a native."""

POLL_SECONDS = 0.05
"""How often a waiting caller checks the deadline and the host's stop request."""

MAX_DEPTH = 60_000
"""Python recursion limit while Hot code runs; non-tail Hot recursion ends here with a clear message."""


@dataclass(frozen=True)
class Limits:
    """Per-run limits; every one has a default, and the executor sets them from its settings.

    * ``max_seconds`` (default None: no time budget): wall-clock budget of the call. When it runs
      out the run ends with :class:`~hotlang.errors.HotTimeLimit`, which Hot code cannot catch.
    * ``max_items`` (default 10,000,000): the length of any Vec or Map a core function builds, and
      the number of values one conversion (``to-json``, ``Str`` of a collection) may walk.
    * ``max_bytes`` (default 64 MiB): the size of any Str (in UTF-8 bytes) or Bytes a core
      function builds; a 10 MB string is ordinary.
    * ``max_int_digits`` (default 100,000): the decimal digits of any Int that arithmetic or a
      conversion produces. A C-level operation on an Int cannot be interrupted by the time limit,
      so the cap keeps each one short: at 100,000 digits a ``mul`` takes ~10 ms and writing the
      Int as text ~0.2 s, while the cap is still 23 times Python's own 4,300-digit text limit and
      far beyond any money, id or cryptographic number (RSA-4096 is 1,234 digits).
    * ``max_threads`` (default 16): branch threads of ``parallel``/``pmap`` alive at once in one
      run. Branches beyond the cap run inline, one after the other, in the thread that asked for
      them, with the same results and the same halt order, so nested ``parallel`` cannot fork-bomb
      the process; 0 runs every branch inline.

    Exceeding a size limit ends the run with :class:`~hotlang.errors.HotLimitExceeded`, whose
    message names the limit and its value, before the oversized value is built.
    """

    max_seconds: float | None = None
    max_items: int = 10_000_000
    max_bytes: int = 64 * 1024 * 1024
    max_int_digits: int = 100_000
    max_threads: int = 16


DEFAULT_LIMITS = Limits()
_local = threading.local()

_DIGITS_PER_BIT = math.log10(2)


def current_limits() -> Limits:
    """The limits of the run executing on this thread."""
    return getattr(_local, "limits", DEFAULT_LIMITS)  # type: ignore[no-any-return]


def check_size(count: int, what: str) -> None:
    """Halt if a core function is about to build a Vec or Map longer than ``max_items``."""
    limit = current_limits().max_items
    if count > limit:
        raise HotLimitExceeded(
            f"{what} would hold {_amount(count)} items, more than the limit of {limit:,} items (max_items)",
            limit="max_items",
        )


def check_bytes(size: int, what: str, kind: str = "a Str") -> None:
    """Halt if a core function is about to build a Str or Bytes of more than ``max_bytes`` bytes."""
    limit = current_limits().max_bytes
    if size > limit:
        raise HotLimitExceeded(
            f"{what} would produce {kind} of {_amount(size)} bytes, more than the limit of {limit:,} bytes (max_bytes)",
            limit="max_bytes",
        )


def utf8_size(text: str) -> int:
    """The UTF-8 size of ``text``: its length for ASCII (an O(1) test in CPython), else its encoding's."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_text(text: str, what: str) -> str:
    """Return ``text`` if it fits ``max_bytes`` in UTF-8, else halt naming the limit.

    For values built in bounded steps (a template, ``uppercase``): the check follows the work.
    """
    limit = current_limits().max_bytes
    if len(text) > limit // 4:
        check_bytes(utf8_size(text), what)
    return text


def check_joined(texts: Sequence[str], separator: str, what: str) -> None:
    """Halt before ``separator.join(texts)`` if the result would be larger than ``max_bytes``."""
    gaps = max(len(texts) - 1, 0)
    chars = sum(map(len, texts)) + gaps * len(separator)
    if chars > current_limits().max_bytes // 4:
        check_bytes(sum(map(utf8_size, texts)) + gaps * utf8_size(separator), what)


def int_digits(bits: int) -> int:
    """Decimal digits of an Int of ``bits`` bits (exact within one digit)."""
    return int(bits * _DIGITS_PER_BIT) + 1 if bits > 0 else 1


def check_int_digits(digits: int, what: str) -> None:
    """Halt if an Int of ``digits`` decimal digits is more than ``max_int_digits`` allows."""
    limit = current_limits().max_int_digits
    if digits > limit:
        raise HotLimitExceeded(
            f"{what} would produce an Int of ~{_rounded(digits)} digits, "
            f"more than the limit of {limit:,} digits (max_int_digits)",
            limit="max_int_digits",
        )


def check_int_bits(bits: int, what: str) -> None:
    """Halt if an Int of ``bits`` bits would have more decimal digits than ``max_int_digits``."""
    if bits > 64:
        check_int_digits(int_digits(bits), what)


def check_int(value: int, what: str) -> int:
    """Return ``value`` if its digits fit ``max_int_digits`` (for results that grow by a few bits)."""
    bits = value.bit_length()
    if bits > 64:
        check_int_digits(int_digits(bits), what)
    return value


def _amount(count: int) -> str:
    """``count`` for a message: ``1,234``, or ``10^40,000`` when it is too long to write out."""
    if count.bit_length() > 200:
        return f"10^{int_digits(count.bit_length()) - 1:,}"
    return f"{count:,}"


def _rounded(count: int) -> str:
    """An estimate to five significant digits (``301,029,996`` → ``301,030,000``)."""
    if count < 100_000 or count.bit_length() > 200:
        return _amount(count)
    scale: int = 10 ** (len(str(count)) - 5)
    return f"{(count + scale // 2) // scale * scale:,}"


GRACE_SECONDS = 1.0
"""After the deadline (or a stop request), how long the limit error is re-raised into the run's threads."""


class _RunThreads:
    """The threads of one run (its own and its ``parallel``/``pmap`` branches) and the branch count."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.branches = 0
        self.lock = threading.Lock()

    def alive(self) -> list[threading.Thread]:
        with self.lock:
            return [thread for thread in self.threads if thread.is_alive()]

    def claim_branch(self, cap: int) -> bool:
        """Reserve one branch thread if fewer than ``cap`` are running."""
        with self.lock:
            if self.branches >= cap:
                return False
            self.branches += 1
            return True

    def release_branch(self) -> None:
        with self.lock:
            self.branches -= 1


def run_limited(
    work: Callable[[], T], limits: Limits | None = None, *, stop_check: Callable[[], None] | None = None
) -> T:
    """Run ``work`` under ``limits`` in a large-stack worker thread; return its value or raise its error.

    ``stop_check`` (the host's ``check_cancelled``) is polled while waiting; when it raises, the
    run is stopped the same way as on timeout, with :class:`~hotlang.errors.HotStopped`.

    Once the deadline passed (or a stop was requested) the caller gets that error, never the
    value: even if something inside the run swallowed the injected exception and returned, the
    run is over. The exception is re-raised into every thread of the run until they stop, for
    :data:`GRACE_SECONDS`; a thread still stuck in one long C call after that is abandoned (it is
    a daemon, and the executor's worker process is what bounds it).
    """
    limits = limits or DEFAULT_LIMITS
    if getattr(_local, "inside", False):
        return work()
    if sys.getrecursionlimit() < MAX_DEPTH:
        sys.setrecursionlimit(MAX_DEPTH)
    outcome: dict[str, Any] = {}
    run = _RunThreads()
    thread = _start(lambda: _capture(work, outcome), limits, run)
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
    if reason is None:
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]  # type: ignore[no-any-return]
    _stop(run, reason)
    error = outcome.get("error")
    if isinstance(error, reason):
        raise error
    raise reason()


def _stop(run: _RunThreads, reason: type[BaseException]) -> None:
    """Raise ``reason`` in every live thread of ``run``, again and again, until they end or the grace runs out."""
    until = time.monotonic() + GRACE_SECONDS
    while (alive := run.alive()) and time.monotonic() < until:
        for running in alive:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(running.ident or 0), ctypes.py_object(reason))
        alive[0].join(POLL_SECONDS)


def _capture(work: Callable[[], Any], outcome: dict[str, Any]) -> None:
    try:
        outcome["value"] = work()
    except MemoryError:
        outcome["error"] = HotMemoryLimit()
    except BaseException as error:  # noqa: BLE001 - handed to the waiting thread unchanged
        outcome["error"] = error


def _start(body: Callable[[], None], limits: Limits, run: _RunThreads) -> threading.Thread:
    """Start a large-stack daemon thread that runs ``body`` as part of ``run``."""

    def worker() -> None:
        _local.inside = True
        _local.limits = limits
        _local.run = run
        body()

    previous = threading.stack_size()
    threading.stack_size(STACK_BYTES)
    try:
        thread = threading.Thread(target=worker, name="hot-run", daemon=True)
        with run.lock:
            run.threads.append(thread)
        thread.start()
    finally:
        threading.stack_size(previous)
    return thread


def _in_context(work: Callable[[], Any], outcome: dict[str, Any], run: _RunThreads | None) -> Callable[[], None]:
    context = copy_context()

    def body() -> None:
        try:
            context.run(_capture, work, outcome)
        finally:
            if run is not None:
                run.release_branch()

    return body


def run_concurrently(works: Sequence[Callable[[], T]]) -> list[T]:
    """Run branches of one run at the same time (``parallel``, ``pmap``); results in order.

    Each branch sees the caller's context variables (the run context) and limits; if any branch
    halts, the first halt in branch order is raised once all are done. At most ``max_threads``
    branch threads of a run are alive at once: a branch that finds the cap reached runs inline,
    in the calling thread, after the threaded ones were started (nested ``parallel`` thus degrades
    to sequential work instead of multiplying threads).
    """
    if len(works) < 2:
        return [work() for work in works]
    limits = current_limits()
    run: _RunThreads = getattr(_local, "run", None) or _RunThreads()
    outcomes: list[dict[str, Any]] = [{} for _ in works]
    started = []
    inline: list[tuple[Callable[[], T], dict[str, Any]]] = []
    for work, outcome in zip(works, outcomes, strict=True):
        if not run.claim_branch(limits.max_threads):
            inline.append((work, outcome))
            continue
        try:
            started.append(_start(_in_context(work, outcome, run), limits, run))
        except RuntimeError:  # "can't start new thread": the process is at its thread or memory limit
            run.release_branch()
            inline.append((work, outcome))
    for work, outcome in inline:
        _in_context(work, outcome, None)()
        error = outcome.get("error")
        if error is not None and is_uncatchable(error):
            raise error  # the run is over (time, stop, size): do not start the next inline branch
    for thread in started:
        while thread.is_alive():
            thread.join(0.05)  # short waits so a time-limit exception can reach this thread
    for outcome in outcomes:
        if "error" in outcome:
            raise outcome["error"]
    return [outcome["value"] for outcome in outcomes]
