"""Structural equality and ordering of Hot values (spec §3.1, §3.8).

Python considers ``1 == True`` and ``Decimal("1.0") == 1``; Hot does not:
Bool, Int and Dec are different types and never equal one another.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hotlang.runtime.display import to_str
from hotlang.runtime.values import Tagged


def hot_eq(left: Any, right: Any) -> bool:
    """Structural equality that keeps Bool, Int and Dec apart; map order is ignored."""
    left_type = type(left)
    if left_type is not type(right):
        if left_type is bytes and type(right) is list:
            return list(left) == right and all(type(item) is int for item in right)
        if left_type is list and type(right) is bytes:
            return hot_eq(right, left)
        return False
    if left_type is list:
        return len(left) == len(right) and all(hot_eq(a, b) for a, b in zip(left, right, strict=True))
    if left_type is dict:
        if len(left) != len(right):
            return False
        return all(not (key not in right or not hot_eq(value, right[key])) for key, value in left.items())
    if left_type is Tagged:
        return bool(left.type_path == right.type_path and hot_eq(left.payload, right.payload))
    return bool(left == right)


def _numeric(value: Any) -> bool:
    return type(value) is int or type(value) is Decimal


ORDER_KEYS: dict[str, Callable[[Any], Any]] = {}
"""Sort keys of tagged types with a natural order (``::hot::time/Instant`` by its nanoseconds …),
by type path; the library registers them. Two values of such a type compare by their keys."""


def compare(left: Any, right: Any) -> int:
    """Order two values: numbers across Int/Dec, Str and Bool natively, else by display text.

    Two tagged values of one type listed in :data:`ORDER_KEYS` compare by their keys.
    """
    if type(left) is Tagged and type(right) is Tagged and left.type_path == right.type_path:
        key = ORDER_KEYS.get(left.type_path)
        if key is not None:
            left_key, right_key = key(left), key(right)
            return int(left_key > right_key) - int(left_key < right_key)
    if _numeric(left) and _numeric(right):
        return int(left > right) - int(left < right)
    if type(left) is type(right) and type(left) in (str, bool):
        return int(left > right) - int(left < right)
    left_text, right_text = to_str(left), to_str(right)
    return (left_text > right_text) - (left_text < right_text)
