"""No input makes a small-namespace native crash: every call returns a value, an Err value or a
halt with a Hot message, never a Python exception wrapped as "<fn> failed: …"."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any

import pytest

from hotlang import HotRuntimeError, RecordingHost, load_program
from hotlang.library import crypto, digest, encoding, temporal, uri, uuids
from hotlang.library.registry import Library
from hotlang.runtime.display import to_str
from hotlang.runtime.equality import compare
from hotlang.runtime.run import RunContext, enter_run, leave_run
from hotlang.runtime.values import FunctionValue, Tagged

T = "::hot::time/"
ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    2**70,
    Decimal("1.5"),
    Decimal("-0.0"),
    True,
    "",
    "x",
    "2024-01-01",
    "2024-13-45T99:99:99Z",
    "%zz%",
    "P1DT",
    "https://x.com",
    "::",
    "\x00",
    [],
    [1, 300],
    [1, 2],
    {},
    {"year": "a"},
    {"hours": 1.5},
    {"epochNanoseconds": "x"},
    b"\xff",
    Tagged(T + "Instant", {"epochNanoseconds": 10**30}),
    Tagged(T + "Instant", {"epochNanoseconds": "x"}),
    Tagged(T + "PlainDate", 5),
    Tagged(T + "Duration", {"hours": "x"}),
    Tagged(T + "PlainDateTime", {"year": 2024, "month": 2, "day": 30}),
    Tagged(T + "ZonedDateTime", {"timezone": 5}),
    Tagged("::hot::uri/Uri", {"scheme": None}),
    Tagged("::hot::uuid/Uuid", 5),
    Tagged(T + "Second", 10**40),
    Tagged(T + "Instant", {"epochNanoseconds": 0}),
    Tagged(T + "PlainTime", 5),
    Tagged(T + "PlainTime", {"hour": 1}),
    Tagged(T + "ZonedDateTime", 5),
    Tagged(T + "Duration", 5),
    Tagged(T + "PlainDateTime", None),
    Tagged("::hot::uri/Uri", 5),
    Tagged(T + "Duration", {"days": Decimal("1.0")}),
]
LIBRARIES: list[Library] = [
    encoding.b64,
    encoding.hexa,
    digest.hashes,
    digest.mac,
    digest.random,
    uuids.lib,
    uri.lib,
    temporal.time,
    crypto.lib,
]


def _callables() -> list[tuple[str, FunctionValue, int, int]]:
    found: list[tuple[str, FunctionValue, int, int]] = []
    for library in LIBRARIES:
        for name, native in library.natives.items():
            upper = native.max_args if native.max_args is not None else native.min_args + 2
            found.append((f"{library.namespace}/{name}", native, native.min_args, upper))
        for name, value in library.values.items():
            if isinstance(value, FunctionValue):
                found.append((f"{library.namespace}/{name}", value, 0, 3))
    return found


def _argument_lists(low: int, high: int, rng: random.Random) -> list[tuple[Any, ...]]:
    lists: list[tuple[Any, ...]] = []
    for count in range(low, high + 1):
        if count <= 2:
            lists += list(itertools.product(ODD_VALUES, repeat=count))
        else:
            lists += [tuple(rng.choice(ODD_VALUES) for _ in range(count)) for _ in range(400)]
    return lists


@pytest.mark.parametrize(("name", "fn", "low", "high"), _callables(), ids=lambda value: str(value)[:40])
def test_odd_arguments_never_crash(name: str, fn: FunctionValue, low: int, high: int) -> None:
    if name == "::hot::time/sleep":
        pytest.skip("sleep waits")
    token = enter_run(RunContext(host=RecordingHost(), arrows=load_program({}).arrows))
    try:
        for args in _argument_lists(low, high, random.Random(name)):
            if name == "::hot::crypto/pbkdf2-hmac-sha256" and args[2:3] == (2**70,):
                continue  # a valid, endless derivation: only the run's time limit ends it
            try:
                result = fn.call(list(args))
                if type(result) is Tagged and not result.is_err:
                    to_str(result)  # its text form, through the built-in arrow
            except HotRuntimeError as halt:
                assert " failed: " not in halt.message, f"{name}{args!r}: {halt.message}"
    finally:
        leave_run(token)


def test_ordering_odd_time_values_never_crashes() -> None:
    for left, right in itertools.product(ODD_VALUES, repeat=2):
        if type(left) is Tagged and type(right) is Tagged:
            try:
                assert compare(left, right) in (-1, 0, 1)
            except HotRuntimeError as halt:  # e.g. the text of an Instant past the year 9999
                assert " failed: " not in halt.message, f"{left!r} {right!r}: {halt.message}"
