"""The value rules every compiled closure relies on: Ok unwraps and Err halts at a boundary (spec §3.6)."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError, is_uncatchable
from hotlang.runtime.display import to_str
from hotlang.runtime.run import current_run
from hotlang.runtime.values import Tagged, Thunk


def err_message(payload: Any) -> str:
    """The halt message for a consumed Err: its Str, or its ``msg``/``message`` field."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict):
        for key in ("msg", "message", "reason"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
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
    if type(value) is not Thunk:
        return value, None
    context = current_run()
    context.suppress_errors += 1
    try:
        result = value.force()
        while type(result) is Thunk:
            result = result.force()
        return result, None
    except HotRuntimeError as halt:
        if is_uncatchable(halt):
            raise  # limits, stops and cancellations end the run whatever inspects the value
        return None, halt
    finally:
        context.suppress_errors -= 1


def halt_on_err(value: Any) -> Any:
    """A callback's result in ``map`` and friends: Ok unwraps, Err halts even inside ``is-err`` (spec §3.6)."""
    while type(value) is Thunk:
        value = value.force()
    if type(value) is Tagged:
        if value.kind == 2:
            raise HotRuntimeError(err_message(value.payload), data=value.payload)
        if value.kind == 1:
            return halt_on_err(value.payload)
    return value
