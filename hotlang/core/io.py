"""``::hot::io`` and ``::hot::run``: printing through the host, and the halting functions."""

from __future__ import annotations

from typing import Any

from hotlang.core.registry import Library
from hotlang.display import display
from hotlang.errors import HotCancelled, HotFailure
from hotlang.json_codec import from_json
from hotlang.runtime import current_run

io = Library("::hot::io")
run = Library("::hot::run")


def _text(value: Any) -> str:
    return value if type(value) is str else display(value)


@io.native("print", 1)
def print_(value: Any) -> str:
    text = _text(value)
    current_run().host.print(text)
    return text


@io.native("println", 0, 1)
def println(value: Any = "") -> str:
    text = _text(value)
    current_run().host.print(text + "\n")
    return text


@run.native("fail", 1, 2)
def fail(message: Any, error: Any = None) -> None:
    raise HotFailure(_text(message), error)


@run.native("cancel", 1, 2)
def cancel(message: Any, data: Any = None) -> None:
    raise HotCancelled(_text(message), data)


@run.native("info", 0)
def info() -> Any:
    """The current run: `{run: {id, type, retry-attempt, max-retries, retry-delay, origin-run-id, …},
    stream: {id}, event: {id, type}, env: {id}}` as the host reports it; outside a run, null."""
    describe = getattr(current_run().host, "info", None)
    return from_json(describe()) if callable(describe) else None
