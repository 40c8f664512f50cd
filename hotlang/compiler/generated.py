"""The runtime side of generated code: the function values it produces and the helpers it calls.

:mod:`hotlang.compiler.pygen` writes Python source that refers to these by
short names (``_S``, ``_T``, ``_TS``, …); keeping them here keeps the
generator file about generating.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.errors import Frame, HotRuntimeError, python_error
from hotlang.runtime.display import to_str
from hotlang.runtime.functions import MISSING, Function
from hotlang.runtime.limits import check_text
from hotlang.runtime.results import consume, halt_on_err
from hotlang.runtime.values import FunctionValue, Tagged, Thunk, force, is_truthy
from hotlang.syntax import nodes


def settle_arg(value: Any) -> Any:
    if type(value) is Thunk:
        value = force(value)
    return consume(value)


SLOW_TYPES = frozenset({Tagged, Thunk})


def to_text(value: Any) -> str:
    value = settle_arg(value)
    return value if type(value) is str else to_str(value)


TEMPLATE_UNCHECKED = 1024
"""Templates shorter than this many characters (at most 4 KiB of UTF-8) skip the ``max_bytes`` check."""


def template_text(text: str) -> str:
    """A long template's text, held to ``max_bytes`` (``"${s}${s}"`` in a loop doubles each time)."""
    return check_text(text, "a string template")


def truthy(value: Any) -> bool:
    if type(value) is Thunk:
        value = force(value)
    return is_truthy(value)


def predicate_truth(value: Any) -> bool:
    """A predicate's answer in ``filter``: a callback Err halts (spec §3.6), then truthiness."""
    value = halt_on_err(value)
    return value is not None and value is not False


def internal_error(exc: Exception, frame: Frame) -> HotRuntimeError:
    error = python_error(exc, "")
    error.add_frame(frame)
    return error


def frame_at(exc: BaseException, lines: dict[int, Frame | None], default: Frame) -> Frame | None:
    """The Hot call site whose generated line raised ``exc`` (None: closure code already recorded it)."""
    tb = exc.__traceback__
    if tb is None:
        return default
    positions = list(tb.tb_frame.f_code.co_positions())
    index = tb.tb_lasti // 2
    line = positions[index][0] if 0 <= index < len(positions) else None
    return lines.get(line, default) if line is not None else default


def _arity_error(name: str, expected: int, given: int) -> HotRuntimeError:
    noun = "argument" if expected == 1 else "arguments"
    return HotRuntimeError(f"`{name}` takes {expected} {noun}, but was given {given}")


Generate = Callable[["CompiledFunction"], Callable[..., Any] | None]
"""The code generator (:func:`hotlang.compiler.pygen.generate_function`): the Python version, or None."""


class CompiledFunction(FunctionValue):
    """A named top-level function with one strict clause, run as generated Python.

    ``closure`` is the same function compiled to closures: it is what runs
    until (and unless) ``generate`` returns the Python version, and what self
    tail calls from closure code loop on. The generator is passed in by the
    compiler rather than imported here, because it builds these objects itself.
    """

    __slots__ = ("_ctx", "_generate", "_lock", "_node", "arity", "closure", "lazy", "name", "py")

    def __init__(self, name: str, node: nodes.FnClause, ctx: Ctx, closure: Function, generate: Generate) -> None:
        self.name = name
        self.lazy = frozenset()
        self.arity = len(node.params)
        self.closure = closure
        self._node = node
        self._ctx = ctx
        self._generate = generate
        self._lock = threading.Lock()
        self.py: Callable[..., Any] = self._first_call

    def __repr__(self) -> str:
        return f"<fn {self.name}>"

    def lazy_positions(self, count: int) -> frozenset[int]:
        return self.lazy

    def direct(self, count: int) -> Callable[..., Any] | None:
        return self.py if count == self.arity else None

    def _first_call(self, *args: Any) -> Any:
        with self._lock:
            if self.py == self._first_call:
                self.py = self._generate(self) or self._via_closure
        return self.py(*args)

    def _via_closure(self, *args: Any) -> Any:
        return self.closure.call(list(args))

    def call(self, args: list[Any]) -> Any:
        if len(args) != self.arity:
            raise _arity_error(self.name, self.arity, len(args))
        for value in args:
            if type(value) in SLOW_TYPES:
                args = [settle_arg(a) for a in args]
                break
        return self.py(*args)


class LambdaFunction(FunctionValue):
    """A lambda made by generated code: relaxed arity, arguments consumed on entry."""

    __slots__ = ("arity", "lazy", "name", "py")

    def __init__(self, py: Callable[..., Any], name: str, arity: int) -> None:
        self.py = py
        self.name = name
        self.arity = arity
        self.lazy = frozenset()

    def __repr__(self) -> str:
        return f"<fn {self.name}>"

    def direct(self, count: int) -> Callable[..., Any] | None:
        return self.py if count == self.arity else None

    def call(self, args: list[Any]) -> Any:
        for value in args:
            if type(value) in SLOW_TYPES:
                args = [settle_arg(a) for a in args]
                break
        if len(args) != self.arity:
            args = [*args[: self.arity], *([None] * (self.arity - len(args)))]
        return self.py(*args)


def global_lookup(core: dict[str, Any], name: str) -> Any:
    """A name that is not in the namespace: the core registry, or a halt."""
    value = core.get(name, MISSING)
    if value is MISSING:
        raise HotRuntimeError(f"`{name}` is not defined")
    return value
