"""`info()` and `::hot::time/sleep`, the run-facing functions the executor's host backs."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hotlang import HotCancelled, HotRuntimeError, RecordingHost, load_program


class RunHostDouble(RecordingHost):
    """A host that describes a run and can be told to stop, like the executor's."""

    def __init__(self) -> None:
        super().__init__()
        self.stop = threading.Event()

    def info(self) -> dict[str, Any]:
        return {"run": {"id": "r-1", "retry-attempt": 2, "max-retries": 3}, "stream": {"id": "s-1"}}

    def check_cancelled(self) -> None:
        if self.stop.is_set():
            raise HotCancelled("Run stopped")


PROGRAM = load_program({"run.hot": """
::t::run ns

attempt fn () {
  info().run.retry-attempt
}

nap fn (ms) {
  ::hot::time/sleep(ms)
  "awake"
}
"""})


def test_info_reads_the_host_description() -> None:
    assert PROGRAM.call("::t::run/attempt", [], host=RunHostDouble()) == 2


def test_info_outside_a_run_is_null() -> None:
    assert load_program({"x.hot": "::x ns\nf fn () { info() }\n"}).call("::x/f", [], host=RecordingHost()) is None


def test_sleep_waits() -> None:
    started = time.monotonic()
    assert PROGRAM.call("::t::run/nap", [120], host=RunHostDouble()) == "awake"
    assert time.monotonic() - started >= 0.12


def test_a_stop_request_ends_a_sleep_promptly() -> None:
    host = RunHostDouble()
    threading.Timer(0.1, host.stop.set).start()
    started = time.monotonic()
    with pytest.raises(HotCancelled):
        PROGRAM.call("::t::run/nap", [60_000], host=host)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("ms", [-1, "soon"])
def test_sleep_rejects_bad_durations(ms: Any) -> None:
    with pytest.raises(HotRuntimeError):
        PROGRAM.call("::t::run/nap", [ms], host=RunHostDouble())
