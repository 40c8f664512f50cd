"""Limits for hostile code: depth, time and size end the run with a clear message; the process lives on."""

from __future__ import annotations

import threading
import time

import pytest

from hotlang import HotCancelled, HotRuntimeError, Limits, RecordingHost, load_program
from tests.support.waiting import wait_until

SOURCE = """::hostile ns
deep fn (n) { if(eq(n, 0), 0, add(1, deep(sub(n, 1)))) }
through-map fn (n) { if(eq(n, 0), 0, add(1, first(map([n], (x) { through-map(sub(x, 1)) })))) }
spin fn (n) { spin(add(n, 1)) }
huge fn () { range(100000000) }
wide fn () { pad-start("x", 1000000000) }
tail fn (n) { if(eq(n, 0), "done", tail(sub(n, 1))) }
both fn () { parallel { a spin(0) b spin(1) } }
"""


@pytest.fixture(scope="module")
def program():  # type: ignore[no-untyped-def]
    return load_program({"hostile.hot": SOURCE})


def test_deep_recursion_ends_with_a_message(program) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HotRuntimeError, match="maximum call depth exceeded"):
        program.call("::hostile/deep", [200_000])
    with pytest.raises(HotRuntimeError, match="maximum call depth exceeded"):
        program.call("::hostile/through-map", [100_000])  # would overflow the C stack without the worker thread
    assert program.call("::hostile/deep", [1000]) == 1000


def test_tail_recursion_over_a_million_runs_in_constant_stack(program) -> None:  # type: ignore[no-untyped-def]
    assert program.call("::hostile/tail", [1_000_000]) == "done"


def test_time_budget(program) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with pytest.raises(HotRuntimeError, match="time limit"):
        program.call("::hostile/spin", [0], limits=Limits(max_seconds=0.3))
    assert time.monotonic() - started < 3
    assert program.call("::hostile/tail", [10]) == "done"


def test_size_guard(program) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HotRuntimeError, match="more than the limit"):
        program.call("::hostile/huge", [])
    with pytest.raises(HotRuntimeError, match="more than the limit"):
        program.call("::hostile/wide", [])


def test_time_budget_stops_parallel_branches(program) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HotRuntimeError, match="time limit"):
        program.call("::hostile/both", [], limits=Limits(max_seconds=0.3))
    wait_until(lambda: not any(t.name == "hot-run" for t in threading.enumerate()), 3,
               what="every parallel branch stopped")


class StoppableHost(RecordingHost):
    """Like the executor's host: ``check_cancelled`` raises once a stop was requested."""

    def __init__(self) -> None:
        super().__init__()
        self.stop = threading.Event()

    def check_cancelled(self) -> None:
        if self.stop.is_set():
            raise HotCancelled("Run stopped")


def test_a_host_stop_request_ends_a_pure_loop(program) -> None:  # type: ignore[no-untyped-def]
    host = StoppableHost()
    threading.Timer(0.2, host.stop.set).start()
    with pytest.raises(HotCancelled, match="Run stopped"):
        program.call("::hostile/spin", [0], host=host)
