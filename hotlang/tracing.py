"""Execution tracing: the hook through which a run reports its Hot calls and flows (spec §7).

The language knows nothing of OpenTelemetry or storage. A program loaded with
``traced=True`` compiles its named functions and non-serial flows with span
hooks; each hook asks the run's :class:`Tracer` (``RunContext.tracer``) for a
:class:`Span`. A program loaded without ``traced`` is compiled exactly as
before (generated Python included), so tracing costs nothing when it is off.

The current span lives in a context variable, so ``parallel`` branches (which
run in copied contexts on their own threads) nest under the flow that started them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from hotlang.errors import HotError, HotRuntimeError

VALUE_CAP = 1024
"""Largest recorded value, in characters of JSON; longer values end with :data:`TRUNCATED`."""
TRUNCATED = "…[truncated]"


class Span(Protocol):
    """One traced call or flow, as seen by the interpreter."""

    def set_attribute(self, key: str, value: str | int | bool) -> None:
        """Record a scalar attribute."""

    def add_event(self, name: str, attributes: Mapping[str, str | int | bool]) -> None:
        """Record a point event (a binding, an intermediate value)."""

    def fail(self, message: str, stack: str) -> None:
        """Mark the span as failed with a message and the Hot call stack (innermost first)."""

    def end(self) -> None:
        """Close the span."""


class Tracer(Protocol):
    """Creates spans for one run; ``parent`` None means "the run itself"."""

    def start_span(self, name: str, parent: Span | None, attributes: Mapping[str, str | int | bool]) -> Span:
        """Open a child span of ``parent`` (or of the run when None)."""


_current: ContextVar[tuple[Span | None, int]] = ContextVar("hot_trace_span", default=(None, 0))


def value_text(value: Any, cap: int = VALUE_CAP) -> str:
    """``value`` as JSON text of at most ``cap`` characters (plus the :data:`TRUNCATED` marker)."""
    from hotlang.json_codec import to_json

    try:
        text = json.dumps(to_json(value), ensure_ascii=False, default=str)
    except Exception:  # noqa: BLE001 - functions, thunks, iterators: record their display form
        from hotlang.display import to_str

        try:
            text = to_str(value)
        except Exception:  # noqa: BLE001
            text = f"<{type(value).__name__}>"
    return text if len(text) <= cap else text[:cap] + TRUNCATED


def _stack_text(error: BaseException) -> str:
    if isinstance(error, HotRuntimeError):
        return "\n".join(str(frame) for frame in error.stack)
    return ""


def _fail(span: Span, error: BaseException) -> None:
    message = str(error) if isinstance(error, HotError) else f"{type(error).__name__}: {error}"
    span.fail(message, _stack_text(error))


def current_tracer() -> Tracer | None:
    """The run's tracer, or None when the run is not traced."""
    from hotlang.runtime import current_run

    tracer: Tracer | None = current_run().tracer
    return tracer


def traced_call(
    tracer: Tracer, name: str, attributes: dict[str, str | int | bool], args: list[Any], call: Callable[[], Any]
) -> Any:
    """Run ``call`` (a Hot function call) inside a span named ``name``."""
    parent, depth = _current.get()
    attributes["hot.call_depth"] = depth + 1
    attributes["hot.args"] = value_text(args)
    span = tracer.start_span(name, parent, attributes)
    token = _current.set((span, depth + 1))
    try:
        result = call()
    except BaseException as error:
        _fail(span, error)
        raise
    else:
        span.set_attribute("hot.return_value", value_text(result))
        return result
    finally:
        _current.reset(token)
        span.end()


@contextmanager
def flow_span(tracer: Tracer, flow_type: str, attributes: Mapping[str, str | int | bool]) -> Iterator[Span]:
    """A span for an inline non-serial flow (``<cond>``, ``<match>``, ``<parallel>``, a branch)."""
    parent, depth = _current.get()
    span = tracer.start_span(
        f"<{flow_type}>", parent, {"hot.flow.type": flow_type, "hot.flow.inline": True, **attributes}
    )
    token = _current.set((span, depth))
    try:
        yield span
    except BaseException as error:
        _fail(span, error)
        raise
    finally:
        _current.reset(token)
        span.end()


def record_binding(name: str, value: Any) -> None:
    """A ``name value`` binding, as an event on the current span (no-op outside a traced run)."""
    span = _current.get()[0]
    if span is not None:
        span.add_event("hot.bind", {"hot.name": name, "hot.value": value_text(value, VALUE_CAP // 4)})


def traced_flow(flow_type: str, evaluate: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap a compiled flow so a traced run records it as a ``<flow_type>`` span."""

    def run(scope: Any) -> Any:
        tracer = current_tracer()
        if tracer is None:
            return evaluate(scope)
        with flow_span(tracer, flow_type, {}):
            return evaluate(scope)

    return run


def in_branch(label: str, evaluate: Callable[[Any], Any], *, collect_all: bool) -> Callable[[Any], Any]:
    """Wrap a branch's result so the enclosing flow span records which branch was taken."""

    def run(scope: Any) -> Any:
        span = _current.get()[0]
        if span is not None:
            if collect_all:
                span.add_event("hot.flow.branch", {"hot.flow.branch": label})
            else:
                span.set_attribute("hot.flow.branch", label)
        return evaluate(scope)

    return run
