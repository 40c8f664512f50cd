"""``::hot::coll`` and ``::hot::map``: nested paths, map transforms and tree walks."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_vec
from hotlang.library.coll import _truthy_result
from hotlang.library.registry import Library
from hotlang.library.transform import _consumed
from hotlang.runtime.access import read_index
from hotlang.runtime.equality import hot_eq
from hotlang.runtime.functions import call_value
from hotlang.runtime.keys import hot_key, map_key
from hotlang.runtime.paths import assoc_path
from hotlang.runtime.values import type_name

coll = Library("::hot::coll")
maps = Library("::hot::map")


def _steps(path: Any) -> list[tuple[str, Any]]:
    return [("index" if type(key) is int else "key", key) for key in expect_vec("path", path)]


@coll.native("get-in", 2, 3)
def get_in(collection: Any, path: Any, default: Any = None) -> Any:
    value = collection
    for key in expect_vec("get-in", path):
        value = read_index(value, key)
        if value is None:
            return default
    return value


@coll.native("assoc-in", 3)
def assoc_in(collection: Any, path: Any, value: Any) -> Any:
    return assoc_path(collection, _steps(path), value)


@coll.native("update-in", 3)
def update_in(collection: Any, path: Any, fn: Any) -> Any:
    current = get_in(collection, path)
    return assoc_path(collection, _steps(path), _consumed(call_value(fn, [current])))


@coll.native("update", 3)
def update(collection: Any, key: Any, fn: Any) -> Any:
    return update_in(collection, [key], fn)


@coll.native("assoc-some", 3)
def assoc_some(collection: Any, key: Any, value: Any) -> Any:
    if value is None:
        return collection
    return assoc_path(collection, _steps([key]), value)


def _map_arg(fn: str, value: Any) -> dict[Any, Any]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise HotRuntimeError(f"{fn} expects a Map, got {type_name(value)}")
    return value


@maps.native("map-keys", 2)
def map_keys(collection: Any, fn: Any) -> dict[Any, Any]:
    items = _map_arg("map-keys", collection).items()
    return {map_key(_consumed(call_value(fn, [hot_key(key)]))): value for key, value in items}


@maps.native("map-vals", 2)
def map_vals(collection: Any, fn: Any) -> dict[Any, Any]:
    return {key: _consumed(call_value(fn, [value])) for key, value in _map_arg("map-vals", collection).items()}


@maps.native("filter-keys", 2)
def filter_keys(collection: Any, fn: Any) -> dict[Any, Any]:
    items = _map_arg("filter-keys", collection).items()
    return {key: value for key, value in items if _truthy_result(call_value(fn, [hot_key(key)]))}


@maps.native("filter-vals", 2)
def filter_vals(collection: Any, fn: Any) -> dict[Any, Any]:
    items = _map_arg("filter-vals", collection).items()
    return {key: value for key, value in items if _truthy_result(call_value(fn, [value]))}


def _walk_children(value: Any, inner: Any) -> Any:
    if type(value) is list:
        return [inner(item) for item in value]
    if type(value) is dict:
        return {key: inner(item) for key, item in value.items()}
    return value


@coll.native("walk", 3)
def walk(inner: Any, outer: Any, value: Any) -> Any:
    """``walk(inner, outer, form)``: ``inner`` on each child, then ``outer`` on the rebuilt form."""
    rebuilt = _walk_children(value, lambda item: _consumed(call_value(inner, [item])))
    return _consumed(call_value(outer, [rebuilt]))


@coll.native("postwalk", 2)
def postwalk(fn: Any, value: Any) -> Any:
    if not hasattr(fn, "call") and hasattr(value, "call"):
        fn, value = value, fn
    rebuilt = _walk_children(value, lambda item: postwalk(fn, item))
    return _consumed(call_value(fn, [rebuilt]))


@coll.native("prewalk", 2)
def prewalk(fn: Any, value: Any) -> Any:
    if not hasattr(fn, "call") and hasattr(value, "call"):
        fn, value = value, fn
    replaced = _consumed(call_value(fn, [value]))
    return _walk_children(replaced, lambda item: prewalk(fn, item))


@coll.native("postwalk-replace", 2)
def postwalk_replace(replacements: Any, value: Any) -> Any:
    if type(replacements) is not dict and type(value) is dict:
        replacements, value = value, replacements
    table = _map_arg("postwalk-replace", replacements)

    def replace(node: Any) -> Any:
        rebuilt = _walk_children(node, replace)
        for key, target in table.items():
            if hot_eq(rebuilt, hot_key(key)):
                return target
        return rebuilt

    return replace(value)
