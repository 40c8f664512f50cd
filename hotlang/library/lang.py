"""``::hot::lang`` (calling and reflection), ``::hot::ctx``, ``::hot::env``, ``::hot::time``, and printing to stderr."""

from __future__ import annotations

import sys
import time as clock
from datetime import UTC, datetime
from typing import Any

from hotlang.errors import HotCancelled, HotRuntimeError
from hotlang.library.checks import expect_int, expect_str
from hotlang.library.coll import _preserve
from hotlang.library.registry import Library
from hotlang.runtime.display import display
from hotlang.runtime.functions import call_value
from hotlang.runtime.limits import check_int
from hotlang.runtime.results import consume
from hotlang.runtime.run import current_run
from hotlang.runtime.typevalues import StructType
from hotlang.runtime.values import FunctionValue, Tagged, Thunk, force, type_name

lang = Library("::hot::lang")
io = Library("::hot::io")
ctx = Library("::hot::ctx")
env = Library("::hot::env")
MISSING_VALUE: Any = object()
"""An omitted optional argument (``set(map)``)."""
time = Library("::hot::time")


def _text(value: Any) -> str:
    return value if type(value) is str else display(value)


@io.native("eprint", 1)
def eprint(value: Any) -> str:
    text = _text(value)
    sys.stderr.write(text)
    return text


@io.native("eprintln", 0, 1)
def eprintln(value: Any = "") -> str:
    text = _text(value)
    sys.stderr.write(text + "\n")
    return text


@io.native("tap", 1, 2, lazy=(0,))
def tap(value: Any, label: Any = None) -> Any:
    """Print the value to stderr (with an optional label) and return it unchanged."""
    value = force(value)
    prefix = f"{label}: " if type(label) is str else ""
    sys.stderr.write(f"{prefix}{display(value)}\n")
    return value


@lang.native("call", 1, 3)
def call(fn: Any, args: Any = None, on_err: Any = None) -> Any:
    if not isinstance(fn, FunctionValue):
        raise HotRuntimeError(f"call expects a function, got {type_name(fn)}")
    values = [] if args is None else args if type(args) is list else [args]
    result = call_value(fn, list(values))
    if type(result) is Thunk:
        result = force(result)
    return result if _preserve(on_err) else consume(result)


@lang.native("resolve", 1)
def resolve(name: Any) -> Any:
    """``resolve("::ns/f")`` (or a core name) → the function."""
    text = expect_str("resolve", name)
    program = current_run().program
    if program is None:
        raise HotRuntimeError("resolve is only available while a program runs")
    if "/" in text:
        return program.lookup(text)
    return program.core_value(text)


@lang.native("namespaces", 0)
def namespaces() -> list[str]:
    program = current_run().program
    return [] if program is None else [name for name in program.namespaces() if not name.startswith("::hot::")]


@lang.native("functions-in-namespace", 1)
def functions_in_namespace(namespace: Any) -> list[Any]:
    program = current_run().program
    if program is None:
        return []
    wanted = expect_str("functions-in-namespace", namespace)
    return [program.lookup(info.qualified) for info in program.functions() if info.ns == wanted]


@lang.native("exit", 0, 1)
def exit_(code: Any = 0) -> None:
    raise HotCancelled(f"exit({expect_int('exit', code)})", code)


@ctx.native("get", 1, 2, core=False)
def ctx_get(key: Any, default: Any = None) -> Any:
    """The run's value for ``key``; ``default`` (null) when it is unset or stored as null."""
    value = current_run().ctx.get(expect_str("::hot::ctx/get", key))
    return default if value is None else value


def _store(name: str, key_or_map: Any, value: Any, *, secret: bool, arity: int) -> Any:
    run = current_run()
    if arity == 1:
        if not isinstance(key_or_map, dict):
            raise HotRuntimeError(f"{name} expects a Map of Str keys, or a key and a value")
        entries = [(expect_str(name, k), v) for k, v in key_or_map.items()]
        result = key_or_map
    else:
        entries = [(expect_str(name, key_or_map), value)]
        result = value
    for key, item in entries:
        run.ctx[key] = item
        if secret:
            run.secret_keys.add(key)
        if key in run.secret_keys and run.on_secret is not None:
            run.on_secret(item)  # masked from here on, wherever the run's output goes
    return result


@ctx.native("set", 1, 2, core=False)
def ctx_set(key: Any, value: Any = MISSING_VALUE) -> Any:
    """``set(key, value)`` returns the value; ``set(map)`` stores every entry and returns the map."""
    return _store("::hot::ctx/set", key, value, secret=False, arity=1 if value is MISSING_VALUE else 2)


@ctx.native("set-secret", 1, 2, core=False)
def ctx_set_secret(key: Any, value: Any = MISSING_VALUE) -> Any:
    """Like ``set``, and the key is secret for the rest of the run (its values are masked)."""
    return _store("::hot::ctx/set-secret", key, value, secret=True, arity=1 if value is MISSING_VALUE else 2)


@env.native("get", 1, 2, core=False)
def env_get(name: Any, default: Any = None) -> Any:
    """The variable as the run's host allows Hot code to see it (never the service's own environment)."""
    value = current_run().host.env(expect_str("::hot::env/get", name))
    return default if value is None else value


UNITS = {
    "Nanosecond": 1,
    "Microsecond": 1_000,
    "Millisecond": 1_000_000,
    "Second": 1_000_000_000,
    "Minute": 60_000_000_000,
    "Hour": 3_600_000_000_000,
    "Day": 86_400_000_000_000,
    "Week": 604_800_000_000_000,
    "Year": 31_536_000_000_000_000,
}
for _unit in UNITS:
    time.value(_unit, StructType(f"::hot::time/{_unit}", (), nominal=True), core=False)


def unit_nanos(value: Any) -> int | None:
    """Nanoseconds in a ``::hot::time`` unit value such as ``Second(5)`` (None for other values)."""
    if type(value) is Tagged and value.type_path.startswith("::hot::time/"):
        unit = value.type_path.rpartition("/")[2]
        if unit in UNITS and type(value.payload) is int:
            return check_int(int(value.payload) * UNITS[unit], "to-nanos")
    return None


@time.native("now", 0, core=False)
def now() -> str:
    """The current UTC time as an ISO-8601 string, by the host's clock."""
    return str(current_run().host.now().isoformat())


SLEEP_SLICE_S = 0.05
MAX_SLEEP_MS = 24 * 3600 * 1000


@time.native("sleep", 1, core=False)
def sleep(millis: Any) -> None:
    """Pause the run for `millis` milliseconds (a time unit such as Second(2) also works).

    Sleeps in short slices so a run that is cancelled or out of time stops promptly."""
    nanos = unit_nanos(millis)
    duration_ms = nanos / 1_000_000 if nanos is not None else expect_int("sleep", millis)
    if duration_ms < 0 or duration_ms > MAX_SLEEP_MS:
        raise HotRuntimeError(f"sleep expects 0 to {MAX_SLEEP_MS} milliseconds, got {duration_ms}")
    check = current_run().host.check_cancelled
    deadline = clock.monotonic() + duration_ms / 1000
    while (remaining := deadline - clock.monotonic()) > 0:
        clock.sleep(min(SLEEP_SLICE_S, remaining))
        check()
    return None


@time.native("epoch-millis", 0, 1, core=False)
def epoch_millis(value: Any = None) -> Any:
    """Milliseconds since the epoch: now; of an Instant or ZonedDateTime (truncated); or, for Int
    milliseconds, their UTC ISO time."""
    if value is None:
        return int(clock.time() * 1000)
    if type(value) is Tagged and value.type_path in ("::hot::time/Instant", "::hot::time/ZonedDateTime"):
        nanos = value.payload.get("epochNanoseconds") if type(value.payload) is dict else None
        if type(nanos) is not int:
            raise HotRuntimeError(f"epoch-millis expects an Instant with Int epochNanoseconds, got {type_name(nanos)}")
        return abs(nanos) // 1_000_000 * (1 if nanos >= 0 else -1)
    millis = expect_int("epoch-millis", value)
    try:
        return datetime.fromtimestamp(millis / 1000, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        raise HotRuntimeError("epoch-millis: the milliseconds are outside the years 1 to 9999") from None


@time.native("to-nanos", 1, core=False)
def to_nanos(value: Any) -> int:
    nanos = unit_nanos(value)
    if nanos is None:
        raise HotRuntimeError(f"to-nanos expects a ::hot::time unit such as Second(5), got {type_name(value)}")
    return nanos
