"""Evaluating Hot expressions for the small standard namespaces' tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotlang import Limits, RecordingHost, load_program
from hotlang.runtime.values import Tagged


def hot(expr: str, *, clock: datetime | None = None, limits: Limits | None = None) -> Any:
    """The value of the Hot expression ``expr`` in a function body (an Err comes back as a value)."""
    program = load_program({"t.hot": f"::t ns\n::time ::hot::time\nf fn () {{\n  {expr}\n}}\n"})
    host = RecordingHost()
    host.clock = clock
    return program.call("::t/f", [], host=host, limits=limits)


def err_text(value: Any) -> str:
    """The message of an Err value; fails the test for anything else."""
    assert type(value) is Tagged and value.is_err, f"expected an Err, got {value!r}"
    return str(value.payload)
