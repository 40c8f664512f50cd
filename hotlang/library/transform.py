"""``::hot::coll``, continued: mapping variants, grouping, partitioning, searching and ordering.

Callback rules (spec §3.6): an Err returned to ``pmap``/``map-indexed``/``mapcat``
halts unless ``OnErr.Preserve`` is passed; in every other function here it halts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_int
from hotlang.library.coll import _items, _preserve, _truthy_result
from hotlang.library.registry import Library
from hotlang.runtime.display import display
from hotlang.runtime.equality import compare, hot_eq
from hotlang.runtime.functions import call_value
from hotlang.runtime.keys import hot_key, map_key, map_pairs
from hotlang.runtime.limits import check_size, run_concurrently
from hotlang.runtime.results import halt_on_err
from hotlang.runtime.values import Tagged, Thunk, type_name

lib = Library("::hot::coll")

PMAP_WORKERS = 8
"""``pmap`` splits its items over at most this many threads."""


def _consumed(value: Any) -> Any:
    return halt_on_err(value) if type(value) in (Tagged, Thunk) else value


def _pairs(collection: Any, fn: str) -> Iterable[Any]:
    if type(collection) is dict:
        return map_pairs(collection)
    return _items(fn, collection)


def _key(value: Any) -> Any:
    """A dict key for grouping that keeps Bool, Int and Dec apart (spec §3.1)."""
    return value if type(value) is str else (type(value).__name__, display(value))


@lib.native("pmap", 2, 3)
def pmap(collection: Any, fn: Any, on_err: Any = None) -> list[Any]:
    """``map`` with the callbacks run on a small thread pool (each keeps the run's context)."""
    items = list(_pairs(collection, "pmap"))
    workers = min(PMAP_WORKERS, len(items))
    chunks = [items[start::workers] for start in range(workers)] if workers else []

    def mapper(chunk: list[Any]) -> Callable[[], list[Any]]:
        return lambda: [call_value(fn, [item]) for item in chunk]

    mapped = run_concurrently([mapper(chunk) for chunk in chunks])
    results: list[Any] = [None] * len(items)
    for start, chunk_results in enumerate(mapped):
        results[start::workers] = chunk_results
    return results if _preserve(on_err) else [_consumed(value) for value in results]


@lib.native("map-indexed", 2, 3)
def map_indexed(collection: Any, fn: Any, on_err: Any = None) -> list[Any]:
    results = [call_value(fn, [index, item]) for index, item in enumerate(_pairs(collection, "map-indexed"))]
    return results if _preserve(on_err) else [_consumed(value) for value in results]


@lib.native("mapcat", 2, 3)
def mapcat(collection: Any, fn: Any, on_err: Any = None) -> list[Any]:
    out: list[Any] = []
    for item in _pairs(collection, "mapcat"):
        value = call_value(fn, [item])
        value = value if _preserve(on_err) and type(value) is Tagged else _consumed(value)
        if type(value) is list:
            check_size(len(out) + len(value), "mapcat")
            out.extend(value)
        elif value is not None:
            out.append(value)
    check_size(len(out), "mapcat")
    return out


@lib.native("sort-by", 2)
def sort_by(collection: Any, fn: Any) -> list[Any]:
    items = list(_pairs(collection, "sort-by"))
    keys = [_consumed(call_value(fn, [item])) for item in items]

    def by_key(a: int, b: int) -> int:
        return compare(keys[a], keys[b])

    order: list[int] = sorted(range(len(items)), key=cmp_to_key(by_key))
    return [items[index] for index in order]


@lib.native("distinct", 1)
def distinct(collection: Any) -> list[Any]:
    out: list[Any] = []
    for item in _pairs(collection, "distinct"):
        if not any(hot_eq(item, seen) for seen in out):
            out.append(item)
    return out


@lib.native("shuffle", 1)
def shuffle(collection: Any) -> list[Any]:
    items = list(_pairs(collection, "shuffle"))
    random.shuffle(items)
    return items


def _flatten(value: Any, out: list[Any]) -> None:
    if type(value) is list:
        check_size(len(out) + len(value), "flatten")  # a Vec holding itself by reference many times explodes
        for item in value:
            _flatten(item, out)
    elif type(value) is str and len(value) > 1:
        check_size(len(out) + len(value), "flatten")
        out.extend(value)
    else:
        out.append(value)


@lib.native("flatten", 1)
def flatten(collection: Any) -> list[Any]:
    """Deep, and strings split into characters (spec §5)."""
    if collection is None:
        return []
    out: list[Any] = []
    _flatten(collection if type(collection) is list else list(_pairs(collection, "flatten")), out)
    return out


@lib.native("partition", 2)
def partition(collection: Any, size: Any) -> list[Any]:
    count = expect_int("partition", size)
    if count <= 0:
        raise HotRuntimeError("partition size must be a positive Int")
    items = list(_pairs(collection, "partition"))
    return [items[start : start + count] for start in range(0, len(items), count)]


@lib.native("partition-by", 2)
def partition_by(collection: Any, fn: Any) -> list[Any]:
    groups: list[list[Any]] = []
    previous: Any = object()
    for item in _pairs(collection, "partition-by"):
        key = _consumed(call_value(fn, [item]))
        if groups and hot_eq(key, previous):
            groups[-1].append(item)
        else:
            groups.append([item])
        previous = key
    return groups


@lib.native("interleave", 2)
def interleave(left: Any, right: Any) -> list[Any]:
    out: list[Any] = []
    for a, b in zip(_items("interleave", left), _items("interleave", right), strict=False):
        out += [a, b]
    return out


@lib.native("interpose", 2)
def interpose(separator: Any, collection: Any) -> list[Any]:
    if type(separator) is list and type(collection) is not list:
        separator, collection = collection, separator
    out: list[Any] = []
    for index, item in enumerate(_items("interpose", collection)):
        if index:
            out.append(separator)
        out.append(item)
    return out


@lib.native("zipmap", 2)
def zipmap(keys: Any, values: Any) -> dict[Any, Any]:
    return {map_key(key): value for key, value in zip(_items("zipmap", keys), _items("zipmap", values), strict=False)}


@lib.native("index-by", 2)
def index_by(collection: Any, fn: Any) -> dict[Any, Any]:
    return {map_key(_consumed(call_value(fn, [item]))): item for item in _pairs(collection, "index-by")}


@lib.native("group-by", 2)
def group_by(collection: Any, fn: Any) -> dict[Any, Any]:
    out: dict[Any, list[Any]] = {}
    for item in _pairs(collection, "group-by"):
        out.setdefault(map_key(_consumed(call_value(fn, [item]))), []).append(item)
    return out


@lib.native("frequencies", 1)
def frequencies(collection: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for item in _pairs(collection, "frequencies"):
        if type(item) in (list, dict):
            raise HotRuntimeError(f"frequencies can count Str, Int, Dec, Bool and null items, not {type_name(item)}")
        key = map_key(item)
        out[key] = out.get(key, 0) + 1
    return out


@lib.native("some", 2)
def some(collection: Any, fn: Any) -> bool:
    return any(_truthy_result(call_value(fn, [item])) for item in _pairs(collection, "some"))


@lib.native("all", 2)
def all_(collection: Any, fn: Any) -> bool:
    return all(_truthy_result(call_value(fn, [item])) for item in _pairs(collection, "all"))


@lib.native("find-first", 2)
def find_first(collection: Any, fn: Any) -> Any:
    for item in _pairs(collection, "find-first"):
        if _truthy_result(call_value(fn, [item])):
            return item
    return None


@lib.native("delete", 2)
def delete(collection: Any, key: Any) -> Any:
    if type(collection) is dict:
        return {k: v for k, v in collection.items() if not (type(hot_key(k)) is type(key) and hot_key(k) == key)}
    if type(collection) is list:
        index = expect_int("delete", key)
        return [item for position, item in enumerate(collection) if position != index]
    if collection is None:
        return None
    raise HotRuntimeError(f"delete expects a Map or Vec, got {type_name(collection)}")


REDUCED = "::hot::coll/Reduced"


@lib.native("reduced", 1)
def reduced(value: Any) -> Tagged:
    """Wrap the accumulator so ``reduce`` stops early with ``value``."""
    return Tagged(REDUCED, value)


@lib.native("rand", 0, 1)
def rand(limit: Any = None) -> Any:
    fraction = Decimal(str(random.random()))
    return fraction if limit is None else fraction * (limit if type(limit) is Decimal else Decimal(limit))


@lib.native("rand-int", 1)
def rand_int(limit: Any) -> int:
    bound = expect_int("rand-int", limit)
    if bound <= 0:
        raise HotRuntimeError("rand-int needs a positive bound")
    return random.randrange(bound)
