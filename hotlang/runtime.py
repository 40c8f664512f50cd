"""Per-call runtime state and the value rules every compiled closure relies on.

State that belongs to one call (its host, whether Err halting is suppressed
by an inspector such as ``is-err``, who counts failed assertions) lives in a
:class:`RunContext` held by a context variable, so one :class:`Program` can
serve many threads at once without sharing mutable state.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from hotlang.errors import HotLimitExceeded, HotRuntimeError
from hotlang.host import Host, NullHost
from hotlang.values import Tagged


@dataclass
class RunContext:
    """State of one top-level call (or one program load)."""

    host: Host = field(default_factory=NullHost)
    suppress_errors: int = 0
    assertion_failed: Callable[[str], None] | None = None
    arrows: Any = None
    """The program's ``Src -> Dst`` arrows (:class:`hotlang.typevalues.Arrows`)."""
    ctx: dict[str, Any] = field(default_factory=dict)
    """``::hot::ctx`` values of this run."""
    program: Any = None
    """The :class:`hotlang.program.Program` running (for reflection such as ``namespaces()``)."""
    tracer: Any = None
    """The run's :class:`hotlang.tracing.Tracer`, or None when the run is not traced."""


_current: ContextVar[RunContext | None] = ContextVar("hot_run_context", default=None)
_fallback = RunContext()


def current_run() -> RunContext:
    """The context of the call being executed (a NullHost context if none was entered)."""
    context = _current.get()
    return _fallback if context is None else context


def enter_run(context: RunContext) -> object:
    """Make ``context`` current; return a token for :func:`leave_run`."""
    return _current.set(context)


def leave_run(token: object) -> None:
    """Restore the context that was current before :func:`enter_run`."""
    _current.reset(token)  # type: ignore[arg-type]


def err_message(payload: Any) -> str:
    """The halt message for a consumed Err: its Str, or its ``msg``/``message`` field."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict):
        for key in ("msg", "message", "reason"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
    from hotlang.display import to_str

    return to_str(payload) or "error"


def consume_tagged(value: Tagged) -> Any:
    """Argument boundary for a tagged value: Ok unwraps, Err halts (unless suppressed)."""
    kind = value.kind
    if kind == 1:
        inner = value.payload
        return consume_tagged(inner) if type(inner) is Tagged else inner
    if kind == 2:
        if current_run().suppress_errors:
            return value
        raise HotRuntimeError(err_message(value.payload), data=value.payload)
    return value


def consume(value: Any) -> Any:
    """Consume a value at an argument, interpolation or field-access boundary (spec §3.6)."""
    if type(value) is Tagged:
        return consume_tagged(value)
    return value


def force_suppressed(value: Any) -> tuple[Any, HotRuntimeError | None]:
    """Force a lazy argument with Err halting off; return the value or the caught halt."""
    from hotlang.values import Thunk

    if type(value) is not Thunk:
        return value, None
    context = current_run()
    context.suppress_errors += 1
    try:
        result = value.force()
        while type(result) is Thunk:
            result = result.force()
        return result, None
    except HotLimitExceeded:
        raise
    except HotRuntimeError as halt:
        return None, halt
    finally:
        context.suppress_errors -= 1


def halt_on_err(value: Any) -> Any:
    """A callback's result in ``map`` and friends: Ok unwraps, Err halts even inside ``is-err`` (spec §3.6)."""
    from hotlang.values import Thunk

    while type(value) is Thunk:
        value = value.force()
    if type(value) is Tagged:
        if value.kind == 2:
            raise HotRuntimeError(err_message(value.payload), data=value.payload)
        if value.kind == 1:
            return halt_on_err(value.payload)
    return value
