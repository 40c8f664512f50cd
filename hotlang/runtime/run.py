"""Per-call runtime state: the :class:`RunContext` of the call being executed.

State that belongs to one call (its host, whether Err halting is suppressed
by an inspector such as ``is-err``, who counts failed assertions) lives in a
:class:`RunContext` held by a context variable, so one :class:`Program` can
serve many threads at once without sharing mutable state. The value rules
that read it are in :mod:`hotlang.runtime.results`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from hotlang.runtime.host import Host, NullHost


@dataclass
class RunContext:
    """State of one top-level call (or one program load)."""

    host: Host = field(default_factory=NullHost)
    suppress_errors: int = 0
    assertion_failed: Callable[[str], None] | None = None
    arrows: Any = None
    """The program's ``Src -> Dst`` arrows (:class:`hotlang.runtime.typevalues.Arrows`)."""
    ctx: dict[str, Any] = field(default_factory=dict)
    """``::hot::ctx`` values of this run (seeded by the platform with the run's context)."""
    secret_keys: set[str] = field(default_factory=set)
    """Keys whose values are secret: written with ``set-secret``, or declared secret by the caller."""
    on_secret: Callable[[Any], None] | None = None
    """Told every value that becomes secret during the run (``set-secret``, ``set`` of a secret key),
    so the platform can mask it wherever the run's output goes."""
    program: Any = None
    """The :class:`hotlang.program.Program` running (for reflection such as ``namespaces()``)."""
    tracer: Any = None
    """The run's :class:`hotlang.runtime.tracing.Tracer`, or None when the run is not traced."""


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
