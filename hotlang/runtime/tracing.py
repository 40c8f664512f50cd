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
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any, Protocol

from hotlang.errors import HotError, HotRuntimeError, is_uncatchable
from hotlang.runtime.display import to_str
from hotlang.runtime.json_codec import to_json
from hotlang.runtime.run import current_run

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

    def start_span(self, name: str, parent: Span | None, attributes: Mapping[str, str | int | bool]) -> Span | None:
        """Open a child span of ``parent`` (or of the run when None); None when over the run's span budget."""


_current: ContextVar[tuple[Span | None, int]] = ContextVar("hot_trace_span", default=(None, 0))


class _Full(Exception):
    """The cap is reached: stop walking the value."""


def value_text(value: Any, cap: int = VALUE_CAP) -> str:
    """``value`` as JSON text of at most ``cap`` characters (plus the :data:`TRUNCATED` marker).

    Containers are walked only until the cap is reached, so recording a large argument on
    every call costs in proportion to the cap, not to the value.
    """
    parts: list[str] = []
    size = 0

    def emit(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size > cap:
            raise _Full

    def walk(item: Any) -> None:
        kind = type(item)
        if kind is list:
            emit("[")
            for index, element in enumerate(item):
                if index:
                    emit(", ")
                walk(element)
            emit("]")
        elif kind is dict:
            emit("{")
            for index, (key, element) in enumerate(item.items()):
                if index:
                    emit(", ")
                emit(json.dumps(key if type(key) is str else _display(key), ensure_ascii=False) + ": ")
                walk(element)
            emit("}")
        elif kind is str:
            emit(json.dumps(item[: cap + 1], ensure_ascii=False))
        else:
            emit(_leaf(item))

    with suppress(_Full):
        walk(value)
    text = "".join(parts)
    return text if len(text) <= cap else text[:cap] + TRUNCATED


def _display(value: Any) -> str:
    try:
        return to_str(value)
    except Exception as error:  # a value that cannot display itself is named by its type
        if is_uncatchable(error):
            raise
        return f"<{type(value).__name__}>"


def _leaf(value: Any) -> str:
    try:
        return json.dumps(to_json(value), ensure_ascii=False, default=str)
    except Exception as error:  # functions, thunks, iterators: record their display form
        if is_uncatchable(error):
            raise
        return json.dumps(_display(value), ensure_ascii=False)


def _stack_text(error: BaseException) -> str:
    if isinstance(error, HotRuntimeError):
        return "\n".join(str(frame) for frame in error.stack)
    return ""


def _fail(span: Span, error: BaseException) -> None:
    message = str(error) if isinstance(error, HotError) else f"{type(error).__name__}: {error}"
    span.fail(message, _stack_text(error))


def current_tracer() -> Tracer | None:
    """The run's tracer, or None when the run is not traced."""
    tracer: Tracer | None = current_run().tracer
    return tracer


def traced_call(
    tracer: Tracer, name: str, attributes: dict[str, str | int | bool], args: list[Any], call: Callable[[], Any]
) -> Any:
    """Run ``call`` (a Hot function call) inside a span named ``name``."""
    parent, depth = _current.get()
    attributes["hot.call_depth"] = depth + 1
    span = tracer.start_span(name, parent, attributes)
    if span is None:
        return call()
    span.set_attribute("hot.args", value_text(args))
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
def flow_span(tracer: Tracer, flow_type: str, attributes: Mapping[str, str | int | bool]) -> Iterator[Span | None]:
    """A span for an inline non-serial flow (``<cond>``, ``<match>``, ``<parallel>``, a branch)."""
    parent, depth = _current.get()
    span = tracer.start_span(
        f"<{flow_type}>", parent, {"hot.flow.type": flow_type, "hot.flow.inline": True, **attributes}
    )
    if span is None:
        yield None
        return
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


def current_span() -> Span | None:
    """The innermost span of the running Hot code (None outside a traced call)."""
    return _current.get()[0]


def record_event(name: str, attributes: Mapping[str, str | int | bool]) -> None:
    """A point event on the current span, for hosts (``hot.stream.data``); no-op when untraced."""
    span = _current.get()[0]
    if span is not None:
        span.add_event(name, attributes)
