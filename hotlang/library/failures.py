"""Natives whose failures are Err values, not halts (integrations-spec: the small std namespaces).

A native decorated with :func:`err_on_refusal` may raise :class:`Refused` anywhere below it; the
call then returns ``Result.Err(message)``, which halts only when consumed and which ``is-err``
and ``if-err`` can observe.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from hotlang.runtime.values import err, type_name

F = TypeVar("F", bound=Callable[..., Any])


class Refused(Exception):
    """Bad input to a native: becomes the Err value of the call."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def err_on_refusal(fn: F) -> F:
    """Turn a :class:`Refused` raised by ``fn`` into an Err value of its message."""

    @wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except Refused as refusal:
            return err(refusal.message)

    return call  # type: ignore[return-value]


def data_bytes(fn: str, value: Any) -> bytes:
    """The bytes of a Str (UTF-8), Bytes or a Vec of Byte Ints; refuses anything else."""
    kind = type(value)
    if kind is bytes:
        return value  # type: ignore[no-any-return]
    if kind is str:
        return value.encode("utf-8", "surrogatepass")  # type: ignore[no-any-return]
    if kind is list and all(type(item) is int and 0 <= item <= 255 for item in value):
        return bytes(value)
    raise Refused(f"{fn} expects Str, Bytes or a Vec of Byte values, got {type_name(value)}")


def expect_text(fn: str, value: Any, what: str = "a Str") -> str:
    """``value`` if it is a Str, else a refusal naming the function and the type given."""
    if type(value) is not str:
        raise Refused(f"{fn} expects {what}, got {type_name(value)}")
    return value  # type: ignore[no-any-return]
