"""Argument checks shared by natives, with messages that name the Hot types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.runtime.values import type_name

Number = int | Decimal


def is_number(value: Any) -> bool:
    """Int or Dec, never Bool."""
    kind = type(value)
    return kind is int or kind is Decimal


def expect_number(fn: str, value: Any) -> Number:
    if not is_number(value):
        raise HotRuntimeError(f"{fn} expects a number, got {type_name(value)}")
    return value  # type: ignore[no-any-return]


def expect_int(fn: str, value: Any) -> int:
    if type(value) is not int:
        raise HotRuntimeError(f"{fn} expects an Int, got {type_name(value)}")
    return value  # type: ignore[no-any-return]


def expect_str(fn: str, value: Any) -> str:
    if type(value) is not str:
        raise HotRuntimeError(f"{fn} expects a Str, got {type_name(value)}")
    return value  # type: ignore[no-any-return]


def expect_vec(fn: str, value: Any) -> list[Any]:
    if type(value) is not list:
        raise HotRuntimeError(f"{fn} expects a Vec, got {type_name(value)}")
    return value  # type: ignore[no-any-return]
