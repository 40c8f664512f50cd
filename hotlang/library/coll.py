"""``::hot::coll``: collection functions over Vec, Map, Str, Iter and Bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cmp_to_key
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_int
from hotlang.library.registry import Library
from hotlang.runtime.display import to_str
from hotlang.runtime.equality import compare
from hotlang.runtime.functions import call_value
from hotlang.runtime.keys import map_key, map_pairs
from hotlang.runtime.limits import check_bytes, check_joined, check_size
from hotlang.runtime.results import consume, halt_on_err
from hotlang.runtime.values import FunctionValue, HotIter, Tagged, Thunk, force, is_truthy, type_name

lib = Library("::hot::coll")

PRESERVE = "::hot::type/OnErr.Preserve"


def _items(fn: str, collection: Any) -> Iterable[Any]:
    """The elements a higher-order function walks: Vec items, Str chars, Iter values."""
    kind = type(collection)
    if kind is list:
        return collection  # type: ignore[no-any-return]
    if collection is None:
        return ()
    if kind is str or kind is bytes:
        check_size(len(collection), fn)
        return list(collection)
    if kind is HotIter:
        return collection.remaining()  # type: ignore[no-any-return]
    raise HotRuntimeError(f"{fn} expects a Vec, Map, Str or Iter, got {type_name(collection)}")


def _preserve(on_err: Any) -> bool:
    return type(on_err) is Tagged and on_err.type_path == PRESERVE


def _keep(value: Any) -> Any:
    return value


_SLOW = frozenset({Tagged, Thunk})
_REDUCED = "::hot::coll/Reduced"


def _unary(fn: Any) -> Callable[[Any], Any]:
    """Call ``fn`` with one element: directly when it is generated code and the element is plain."""
    direct = fn.direct(1) if isinstance(fn, FunctionValue) else None
    if direct is None:
        return lambda item: call_value(fn, [item])
    fast = direct

    def call_one(item: Any) -> Any:
        return fast(item) if type(item) not in _SLOW else call_value(fn, [item])

    return call_one


def _truthy_result(value: Any) -> bool:
    """A predicate's answer: Err halts (callback Errs in filter always halt), then truthiness."""
    if type(value) in _SLOW:
        value = consume(force(value))
    return value is not None and value is not False and (type(value) is not Tagged or is_truthy(value))


@lib.native("map", 2, 3)
def map_(collection: Any, fn: Any, on_err: Any = None) -> list[Any]:
    preserve = _preserve(on_err)
    if type(collection) is dict:
        finish = _keep if preserve else halt_on_err
        return [finish(call_value(fn, pair)) for pair in map_pairs(collection)]
    items = _items("map", collection)
    direct = fn.direct(1) if isinstance(fn, FunctionValue) else None
    if direct is not None and _SLOW.isdisjoint(map(type, items)):
        results = list(map(direct, items))
    else:
        call = _unary(fn)
        results = [call(item) for item in items]
    if not preserve and not _SLOW.isdisjoint(map(type, results)):
        results = [halt_on_err(value) if type(value) in _SLOW else value for value in results]
    return results


@lib.native("filter", 2)
def filter_(collection: Any, predicate: Any) -> list[Any]:
    if type(collection) is dict:
        return [pair for pair in map_pairs(collection) if is_truthy(consume(call_value(predicate, list(pair))))]
    items = _items("filter", collection)
    direct = predicate.direct(1) if isinstance(predicate, FunctionValue) else None
    if direct is not None and _SLOW.isdisjoint(map(type, items)):
        return [
            item
            for item, keep in zip(items, map(direct, items), strict=True)
            if keep is True or (keep is not False and keep is not None and _truthy_result(keep))
        ]
    call = _unary(predicate)
    return [item for item in items if _truthy_result(call(item))]


@lib.native("remove", 2)
def remove(collection: Any, predicate: Any) -> list[Any]:
    if type(collection) is dict:
        return [pair for pair in map_pairs(collection) if not is_truthy(consume(call_value(predicate, list(pair))))]
    return [item for item in _items("remove", collection) if not is_truthy(consume(call_value(predicate, [item])))]


@lib.native("reduce", 3)
def reduce(collection: Any, fn: Any, initial: Any) -> Any:
    accumulator = initial
    items: Iterable[Any] = map_pairs(collection) if type(collection) is dict else _items("reduce", collection)
    direct = fn.direct(2) if isinstance(fn, FunctionValue) else None
    if direct is not None and type(accumulator) not in _SLOW and _SLOW.isdisjoint(map(type, items)):
        for item in items:
            accumulator = direct(accumulator, item)
            if type(accumulator) in _SLOW:
                accumulator = consume(force(accumulator))
                if type(accumulator) is Tagged and accumulator.type_path == _REDUCED:
                    return accumulator.payload
        return accumulator
    for item in items:
        accumulator = call_value(fn, [accumulator, item])
        if type(accumulator) in _SLOW:
            accumulator = consume(force(accumulator))
            if type(accumulator) is Tagged and accumulator.type_path == _REDUCED:
                return accumulator.payload
    return accumulator


@lib.native("for-each", 2)
def for_each(collection: Any, fn: Any) -> None:
    if type(collection) is dict:
        for pair in map_pairs(collection):
            consume(call_value(fn, pair))
        return None
    for item in _items("for-each", collection):
        consume(call_value(fn, [item]))
    return None


@lib.native("concat", 1, None)
def concat(*values: Any) -> Any:
    if any(type(value) is str for value in values):
        texts = [to_str(value) for value in values]
        check_joined(texts, "", "concat")
        return "".join(texts)
    present = [value for value in values if value is not None]
    if all(type(value) is list for value in present):
        check_size(sum(map(len, present)), "concat")
        out: list[Any] = []
        for value in present:
            out.extend(value)
        return out
    if present and all(type(value) is bytes for value in present):
        check_bytes(sum(map(len, present)), "concat", "Bytes")
        return b"".join(present)
    kinds = ", ".join(type_name(value) for value in values)
    raise HotRuntimeError(f"concat expects Vecs or Strs, got {kinds}")


@lib.native("length", 1)
def length(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return len(value.encode("utf-8"))
    if kind in (list, dict, bytes):
        return len(value)
    if value is None:
        return 0
    raise HotRuntimeError(f"length expects a Vec, Map, Str or Bytes, got {type_name(value)}")


def lookup(collection: Any, key: Any) -> Any:
    """``coll[key]`` read, null-safe: Map by key, Vec/Str/Bytes by Int index."""
    kind = type(collection)
    if kind is dict:
        return collection.get(key if type(key) is str else map_key(key))
    if kind in (list, str, bytes):
        if type(key) is int and 0 <= key < len(collection):
            return collection[key]
        return None
    if kind is Tagged and collection.kind != 2:
        return lookup(collection.payload, key)
    return None


@lib.native("get", 2, 3)
def get(collection: Any, key: Any, default: Any = None) -> Any:
    if type(collection) is dict:
        return collection.get(key if type(key) is str else map_key(key), default)
    value = lookup(collection, key)
    return default if value is None else value


@lib.native("first", 1)
def first(collection: Any) -> Any:
    if type(collection) in (list, str, bytes):
        return collection[0] if collection else None
    if collection is None:
        return None
    raise HotRuntimeError(f"first expects a Vec or Str, got {type_name(collection)}")


@lib.native("last", 1)
def last(collection: Any) -> Any:
    if type(collection) in (list, str, bytes):
        return collection[-1] if collection else None
    if collection is None:
        return None
    raise HotRuntimeError(f"last expects a Vec or Str, got {type_name(collection)}")


@lib.native("rest", 1)
def rest(collection: Any) -> Any:
    if collection is None:
        return []
    if type(collection) in (list, str, bytes):
        return collection[1:]
    raise HotRuntimeError(f"rest expects a Vec or Str, got {type_name(collection)}")


@lib.native("butlast", 1)
def butlast(collection: Any) -> Any:
    if collection is None:
        return []
    if type(collection) in (list, str, bytes):
        return collection[:-1]
    raise HotRuntimeError(f"butlast expects a Vec or Str, got {type_name(collection)}")


@lib.native("is-empty", 1)
def is_empty(collection: Any) -> bool:
    if collection is None:
        return True
    if type(collection) in (list, dict, str, bytes):
        return len(collection) == 0
    raise HotRuntimeError(f"is-empty expects a Vec, Map or Str, got {type_name(collection)}")


@lib.native("keys", 1)
def keys(collection: Any) -> list[Any]:
    if type(collection) is dict:
        return [pair[0] for pair in map_pairs(collection)]
    if type(collection) is list:
        return list(range(len(collection)))
    raise HotRuntimeError(f"keys expects a Map or Vec, got {type_name(collection)}")


@lib.native("vals", 1)
def vals(collection: Any) -> list[Any]:
    if type(collection) is dict:
        return list(collection.values())
    if type(collection) is list:
        return list(collection)
    raise HotRuntimeError(f"vals expects a Map or Vec, got {type_name(collection)}")


@lib.native("range", 1, 3)
def range_(start: Any, end: Any = None, step: Any = 1) -> list[int]:
    if end is None:
        start, end = 0, start
    low, high, stride = expect_int("range", start), expect_int("range", end), expect_int("range", step)
    if stride == 0:
        raise HotRuntimeError("range step cannot be 0")
    check_size(range_count(low, high, stride), "range")
    return list(range(low, high, stride))


def range_count(low: int, high: int, stride: int) -> int:
    """How many Ints ``range(low, high, stride)`` holds, for any sizes (``len(range)`` stops at 2^63)."""
    span = high - low if stride > 0 else low - high
    return max(0, -(-span // abs(stride)))


@lib.native("slice", 2, 3)
def slice_(collection: Any, start: Any, end: Any = None) -> Any:
    if type(collection) not in (list, str, bytes):
        raise HotRuntimeError(f"slice expects a Vec or Str, got {type_name(collection)}")
    return collection[expect_int("slice", start) : None if end is None else expect_int("slice", end)]


@lib.native("reverse", 1)
def reverse(collection: Any) -> Any:
    if type(collection) in (list, str, bytes):
        return collection[::-1]
    raise HotRuntimeError(f"reverse expects a Vec or Str, got {type_name(collection)}")


@lib.native("sort", 1)
def sort(collection: Any) -> list[Any]:
    return sorted(_items("sort", collection), key=cmp_to_key(compare))


@lib.native("assoc", 3)
def assoc(collection: Any, key: Any, value: Any) -> Any:
    if collection is None or type(collection) is dict:
        return {**(collection or {}), map_key(key): value}
    if type(collection) is list and type(key) is int:
        check_size(max(key + 1, len(collection)), "assoc")
        out = list(collection)
        out.extend([None] * (key + 1 - len(out)))
        out[key] = value
        return out
    raise HotRuntimeError(f"assoc expects a Map or Vec, got {type_name(collection)}")


@lib.native("merge", 2)
def merge(left: Any, right: Any) -> Any:
    if type(left) is dict and type(right) is dict:
        out = dict(left)
        for key, value in right.items():
            out[key] = merge(out[key], value) if type(out.get(key)) is dict and type(value) is dict else value
        return out
    if right is None:
        return left
    return right
