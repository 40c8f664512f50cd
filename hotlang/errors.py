"""The one error tree of the Hot language package.

Every failure that leaves :mod:`hotlang` is a :class:`HotError`: syntax errors
carry a position and can draw a caret under the offending spot; runtime errors
carry the Hot call stack (function names with file:line:column), never a
Python traceback.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any


class HotError(Exception):
    """Base class of every error raised by the Hot language package."""


class HotSyntaxError(HotError):
    """Source text that is not valid Hot.

    ``line`` and ``column`` are 1-based; ``source_line`` is the text of that
    line (without its newline) so :meth:`format` can point at the spot.
    """

    def __init__(self, message: str, *, file: str, line: int, column: int, source_line: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.source_line = source_line

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"

    def format(self) -> str:
        """Return ``file:line:col: error: sentence`` plus the source line and a caret."""
        gutter = str(self.line)
        pad = " " * len(gutter)
        text = self.source_line.expandtabs(1)
        caret = " " * max(self.column - 1, 0) + "^"
        return (
            f"{self.file}:{self.line}:{self.column}: error: {self.message}\n{pad} |\n{gutter} | {text}\n{pad} | {caret}"
        )


@dataclass(frozen=True)
class Frame:
    """One entry of a Hot call stack: the function called and where the call was written."""

    function: str
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"at {self.function} ({self.file}:{self.line}:{self.column})"


class HotRuntimeError(HotError):
    """A halt: an uncatchable runtime failure that unwinds to the run boundary.

    ``stack`` lists the Hot frames from the innermost call outwards; ``data``
    holds the Hot value that caused the halt when there is one (the payload of
    a consumed Err, for example).
    """

    def __init__(self, message: str, *, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        self.stack: list[Frame] = []

    def __str__(self) -> str:
        return self.message

    def add_frame(self, frame: Frame) -> None:
        """Record a Hot frame while the halt unwinds through a call site."""
        if len(self.stack) < 200:
            self.stack.append(frame)

    def format(self) -> str:
        """Return the message followed by the Hot stack, innermost call first."""
        lines = [f"error: {self.message}"]
        lines.extend(f"  {frame}" for frame in self.stack)
        return "\n".join(lines)


class HotFailure(HotRuntimeError):
    """Raised by ``fail(msg, err)``: an explicit failure of the run."""

    def __init__(self, msg: str, err: Any = None) -> None:
        super().__init__(msg, data=err)
        self.msg = msg
        self.err = err


class HotCancelled(HotRuntimeError):
    """Raised by ``cancel(msg, data)``: the run stops as cancelled, not failed."""

    def __init__(self, msg: str, data: Any = None) -> None:
        super().__init__(msg, data=data)
        self.msg = msg


class HotAssertionFailed(HotFailure):
    """Raised by ``assert``/``assert-eq`` when no test runner is counting failures."""


class HotLimitExceeded(HotRuntimeError):
    """A run went past one of its limits (time, size, depth, memory).

    Hot code cannot catch it: inspectors such as ``is-err``, ``if-err`` and ``not``, the
    logic operators and pattern matching all let it through (see :func:`is_uncatchable`).
    ``limit`` names the :class:`~hotlang.runtime.limits.Limits` field that was exceeded
    (``max_int_digits``, ``max_bytes``, …) when there is one.
    """

    def __init__(self, message: str, *, limit: str | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class HotMemoryLimit(HotLimitExceeded):
    """Python ran out of memory inside the interpreter (the worker's memory limit was reached)."""

    def __init__(self, message: str = "the run ran out of memory (the memory limit of its worker was reached)") -> None:
        super().__init__(message, limit="memory")


class HotTimeLimit(HotLimitExceeded):
    """The run's time budget ran out. Built without arguments so it can be raised into a running thread."""

    def __init__(self, message: str = "the run took longer than its time limit and was stopped (max_seconds)") -> None:
        super().__init__(message, limit="max_seconds")


class HotStopped(HotCancelled):
    """The host asked the run to stop (its ``check_cancelled`` raised); raised inside the running code."""

    def __init__(self, msg: str = "Run stopped", data: Any = None) -> None:
        super().__init__(msg, data)


def python_error(exc: Exception, prefix: str) -> HotRuntimeError:
    """The Hot error for a Python exception that escaped a native or generated code.

    Running out of memory and Python's Int-to-text digit limit are limits of the run, not bugs
    in it, so they become :class:`HotLimitExceeded` (uncatchable); anything else is a halt whose
    message starts with ``prefix`` (``"concat failed: "``) and names the Python exception.
    """
    if isinstance(exc, MemoryError):
        return HotMemoryLimit()
    text = str(exc)
    if isinstance(exc, decimal.Overflow):
        return HotRuntimeError(f"{prefix}the Dec result is too large (beyond 1E+999999)")
    if isinstance(exc, ValueError) and "integer string conversion" in text:
        return HotLimitExceeded(
            f"{prefix}an Int has too many digits to convert to or from text (max_int_digits)", limit="max_int_digits"
        )
    return HotRuntimeError(f"{prefix}{type(exc).__name__}: {text}")


def is_uncatchable(error: BaseException) -> bool:
    """True for the errors no Hot construct may turn into a value: limits, stops and cancellations.

    Every place that converts a halt into a Hot value (``is-err``, ``if-err``, ``not``, ``and``/``or``,
    assertions, a match type atom that fails to resolve) re-raises these instead, so a run that hit
    its time or size limit, or was told to stop, ends with that error whatever the code around it.
    """
    return isinstance(error, HotLimitExceeded | HotCancelled | MemoryError | RecursionError)
