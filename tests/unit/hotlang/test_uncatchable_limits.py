"""Limit errors cannot be caught by Hot code: whatever construct wraps the runaway code, a time limit
ends the run with the time-limit error, a stop with the stop, and a size limit with the size error."""

from __future__ import annotations

import os
import threading
import time

import pytest

from hotlang import (
    HotCancelled,
    HotLimitExceeded,
    HotMemoryLimit,
    HotStopped,
    HotTimeLimit,
    Limits,
    NullHost,
    Program,
    RecordingHost,
    load_program,
)
from hotlang.errors import python_error
from hotlang.runtime.limits import run_limited

CONSTRUCTS = {
    "is-err": "is-err(X)",
    "is-ok": "is-ok(X)",
    "if-err": 'if-err(X, "recovered")',
    "if-ok": "if-ok(X, (v) { v })",
    "err-value": "err-value(X)",
    "ok-value": "ok-value(X)",
    "err-message": "err-message(X)",
    "is-type": "is-type(X, Int)",
    "not": "not(X)",
    "and": "and(X, true)",
    "or": 'or(X, "fallback")',
    "is-truthy": "is-truthy(X)",
    "if": "if(X, 1, 2)",
    "cond": "cond { X => 1 => 2 }",
    "match": 'match X { Int => "int" _ => "other" }',
    "match-of-is-err": 'match is-err(X) { true => "caught" _ => "not caught" }',
    "map-preserve": "map([1, 2], (x) { X }, OnErr.Preserve)",
    "filter": "filter([1, 2], (x) { is-err(X) })",
    "pmap": "pmap([1, 2, 3], (x) { is-err(X) })",
    "parallel": "parallel { a is-err(X) b is-err(X) }",
    "call-preserve": "::hot::lang/call(() { X }, [], OnErr.Preserve)",
    "assert": 'assert(X, "swallowed")',
}

RUNAWAYS = {"spin": "spin(0)", "bomb": "bomb()", "deep": "deep(0)", "cancel": 'cancel("bye")', "one": "1"}

SOURCE = "\n".join(
    [
        "::catch ns",
        "spin fn (n) { spin(add(n, 1)) }",
        "bomb fn () { pow(2, 1000000000) }",
        "deep fn (n) { add(1, deep(n)) }",
        "nested fn (depth) {",
        "  if(eq(depth, 0), ::hot::time/sleep(100), pmap(range(4), (i) { nested(sub(depth, 1)) }))",
        "}",
        *(
            f"{name}-{runaway} fn () {{ {template.replace('X', call)} }}"
            for name, template in CONSTRUCTS.items()
            for runaway, call in RUNAWAYS.items()
        ),
    ]
)


@pytest.fixture(scope="module")
def program() -> Program:
    return load_program({"catch.hot": SOURCE})


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_a_time_limit_cannot_be_caught(program: Program, construct: str) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeLimit, match=r"time limit.*\(max_seconds\)"):
        program.call(f"::catch/{construct}-spin", [], limits=Limits(max_seconds=0.2))
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_a_size_limit_cannot_be_caught(program: Program, construct: str) -> None:
    with pytest.raises(HotLimitExceeded, match=r"^pow would produce .*\(max_int_digits\)$"):
        program.call(f"::catch/{construct}-bomb", [])


@pytest.mark.parametrize("construct", ["is-err", "not", "match-of-is-err", "parallel"])
def test_the_call_depth_limit_cannot_be_caught(program: Program, construct: str) -> None:
    with pytest.raises(HotLimitExceeded, match="maximum call depth exceeded"):
        program.call(f"::catch/{construct}-deep", [])


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_a_cancellation_cannot_be_caught(program: Program, construct: str) -> None:
    """No stop request is involved: the construct itself must let the cancellation through."""
    with pytest.raises(HotCancelled, match="bye"):
        program.call(f"::catch/{construct}-cancel", [])


def test_the_constructs_still_work_on_ordinary_values(program: Program) -> None:
    assert program.call("::catch/is-err-one", []) is False
    assert program.call("::catch/match-of-is-err-one", []) == "not caught"
    assert program.call("::catch/parallel-one", []) == {"a": False, "b": False}


class StoppableHost(RecordingHost):
    """Like the executor's host: ``check_cancelled`` raises once a stop was requested."""

    def __init__(self) -> None:
        super().__init__()
        self.stop = threading.Event()

    def check_cancelled(self) -> None:
        if self.stop.is_set():
            raise HotStopped()


@pytest.mark.parametrize("construct", ["not", "is-err", "if-err", "match-of-is-err", "parallel", "or"])
def test_a_stop_cannot_be_caught(program: Program, construct: str) -> None:
    host = StoppableHost()
    threading.Timer(0.1, host.stop.set).start()
    with pytest.raises(HotStopped):
        program.call(f"::catch/{construct}-spin", [], host=host)


def test_a_run_that_swallows_the_time_limit_still_ends_with_it() -> None:
    """Even Python code that catches the injected exception and returns does not win: the deadline passed."""

    def swallow() -> str:
        spins = 0
        try:
            while True:  # busy work the injected exception interrupts
                spins += 1
        except HotTimeLimit:
            return "swallowed"

    with pytest.raises(HotTimeLimit):
        run_limited(swallow, Limits(max_seconds=0.1))


def test_nested_parallel_is_capped_by_max_threads(program: Program) -> None:
    """4^3 = 64 leaves would be 84 threads; with max_threads=3 at most 3 branch threads run at once."""
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, sum(1 for t in threading.enumerate() if t.name == "hot-run"))
            stop.wait(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = program.call("::catch/nested", [3], limits=Limits(max_threads=3))
    finally:
        stop.set()
        sampler.join()
    assert len(result) == 4 and all(len(inner) == 4 for inner in result)
    assert 1 < peak <= 1 + 3  # the run's own thread plus at most three branches


def test_max_threads_zero_runs_every_branch_inline(program: Program) -> None:
    assert program.call("::catch/parallel-one", [], limits=Limits(max_threads=0)) == {"a": False, "b": False}


def test_memory_errors_become_the_memory_limit() -> None:
    assert isinstance(python_error(MemoryError(), "concat failed: "), HotMemoryLimit)

    def exhaust() -> None:
        raise MemoryError

    with pytest.raises(HotMemoryLimit, match="ran out of memory"):
        run_limited(exhaust)


# -- ::hot::env/get reads the host, not the process environment ---------------------------

ENV = """::env ns
get fn (name) { ::hot::env/get(name, "fallback") }
"""


def test_env_get_reads_only_what_the_host_allows() -> None:
    program = load_program({"env.hot": ENV})
    os.environ.setdefault("HOT_LIMITS_TEST_SECRET", "hunter2")
    host = RecordingHost(env_vars={"GREETING": "hello"})
    assert program.call("::env/get", ["GREETING"], host=host) == "hello"
    assert program.call("::env/get", ["HOT_LIMITS_TEST_SECRET"], host=host) == "fallback"


def test_the_local_cli_host_reads_the_users_environment() -> None:
    program = load_program({"env.hot": ENV})
    os.environ.setdefault("HOT_LIMITS_TEST_SECRET", "hunter2")
    secret = os.environ["HOT_LIMITS_TEST_SECRET"]
    assert program.call("::env/get", ["HOT_LIMITS_TEST_SECRET"], host=NullHost()) == secret
    assert program.call("::env/get", ["HOT_SURELY_UNSET_VARIABLE"], host=NullHost()) == "fallback"
