"""``::hot::cmp`` and ``::hot::bool``: equality, ordering and the lazy logic functions.

``if``, ``and``, ``or`` and ``not`` receive thunks (lazy parameters) and test
truthiness with Err counting as falsy (spec §3.4, §3.7). The compiler inlines
``if``/``and``/``or`` when they are the core ones; these natives serve the
other uses (passing ``if`` as a value, spreading arguments into ``and``).
"""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.registry import Library
from hotlang.runtime.equality import compare, hot_eq
from hotlang.runtime.keys import map_key
from hotlang.runtime.results import consume, force_suppressed
from hotlang.runtime.values import force, is_truthy

cmp = Library("::hot::cmp")
boolean = Library("::hot::bool")

ALL_LAZY = tuple(range(64))


@cmp.native("eq", 2)
def eq(left: Any, right: Any) -> bool:
    return hot_eq(left, right)


@cmp.native("ne", 2)
def ne(left: Any, right: Any) -> bool:
    return not hot_eq(left, right)


@cmp.native("lt", 2)
def lt(left: Any, right: Any) -> bool:
    return compare(left, right) < 0


@cmp.native("gt", 2)
def gt(left: Any, right: Any) -> bool:
    return compare(left, right) > 0


@cmp.native("lte", 2)
def lte(left: Any, right: Any) -> bool:
    return compare(left, right) <= 0


@cmp.native("gte", 2)
def gte(left: Any, right: Any) -> bool:
    return compare(left, right) >= 0


@cmp.native("between", 3)
def between(value: Any, low: Any, high: Any) -> bool:
    return compare(low, value) <= 0 <= compare(high, value)


@cmp.native("in", 2)
def in_(value: Any, collection: Any) -> bool:
    if type(collection) is list:
        return any(hot_eq(value, item) for item in collection)
    if type(collection) is dict:
        return map_key(value) in collection
    if type(collection) is str and type(value) is str:
        return value in collection
    return False


def test(value: Any) -> bool:
    """Truthiness of a (possibly lazy) argument, with Err and halts counting as falsy."""
    result, halt = force_suppressed(value)
    return halt is None and is_truthy(result)


@boolean.native("if", 2, 3, lazy=(0, 1, 2))
def if_(condition: Any, then: Any, otherwise: Any = None) -> Any:
    return force(then) if test(condition) else force(otherwise)


@boolean.native("and", 1, None, lazy=ALL_LAZY)
def and_(*values: Any) -> Any:
    result: Any = None
    for value in values:
        result, halt = force_suppressed(value)
        if halt is not None or not is_truthy(result):
            return result
    return result


@boolean.native("or", 1, None, lazy=ALL_LAZY)
def or_(*values: Any) -> Any:
    result: Any = None
    for value in values:
        result, halt = force_suppressed(value)
        if halt is None and is_truthy(result):
            return result
    return result


@boolean.native("not", 1, lazy=(0,))
def not_(value: Any) -> bool:
    return not test(value)


@boolean.native("is-truthy", 1, lazy=(0,))
def is_truthy_(value: Any) -> bool:
    return test(value)


@boolean.native("Bool", 1)
def bool_(value: Any) -> bool:
    value = consume(value)
    if type(value) is str:
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off", ""):
            return False
        raise HotRuntimeError(f"Bool cannot read {value!r} as a boolean")
    return is_truthy(value)
