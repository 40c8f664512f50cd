"""``::hot::io`` and ``::hot::run``: printing through the host, and the halting functions."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotCancelled, HotFailure
from hotlang.library.registry import Library
from hotlang.runtime.display import display
from hotlang.runtime.json_codec import from_json
from hotlang.runtime.run import current_run

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
    described = current_run().host.info()
    return None if described is None else from_json(described)
