"""The one error tree of the Hot language package.

Every failure that leaves :mod:`hotlang` is a :class:`HotError`: syntax errors
carry a position and can draw a caret under the offending spot; runtime errors
carry the Hot call stack (function names with file:line:column), never a
Python traceback.
"""

from __future__ import annotations

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
    """A run went past one of its limits (time, size, depth). Inspectors such as ``is-err`` never swallow it."""


class HotTimeLimit(HotLimitExceeded):
    """The run's time budget ran out. Built without arguments so it can be raised into a running thread."""

    def __init__(self, message: str = "the run took longer than its time limit and was stopped") -> None:
        super().__init__(message)


class HotStopped(HotCancelled):
    """The host asked the run to stop (its ``check_cancelled`` raised); raised inside the running code."""

    def __init__(self, msg: str = "Run stopped", data: Any = None) -> None:
        super().__init__(msg, data)
