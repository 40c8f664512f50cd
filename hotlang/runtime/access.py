"""Reading through values: null-safe ``.field`` and ``[index]`` (spec §3.3)."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.runtime.keys import map_key
from hotlang.runtime.results import err_message
from hotlang.runtime.run import current_run
from hotlang.runtime.typevalues import EnumType
from hotlang.runtime.values import Tagged, Thunk, force


def read_field(value: Any, name: Any) -> Any:
    """``value.name``: Maps by key; tags and Ok see through; Err halts; anything else gives null."""
    kind = type(value)
    if kind is dict:
        return value.get(name)
    if kind is Tagged:
        if value.kind == 2:
            if current_run().suppress_errors:
                return value
            raise HotRuntimeError(err_message(value.payload), data=value.payload)
        return read_field(value.payload, name)
    if kind is Thunk:
        return read_field(force(value), name)
    if kind is EnumType:
        return value.member(name)
    return None


def read_index(value: Any, key: Any) -> Any:
    """``value[key]``: Vec/Str by Int index, Map by key; out of range or missing gives null."""
    kind = type(value)
    if kind is list or kind is str or kind is bytes:
        if type(key) is int and 0 <= key < len(value):
            return value[key]
        return None
    if kind is dict:
        if type(key) is str:
            return value.get(key)
        return value.get(map_key(key)) if type(key) is not list and type(key) is not dict else None
    if kind is Tagged or kind is Thunk:
        return read_index(_unwrap(value), key)
    return None


def _unwrap(value: Any) -> Any:
    if type(value) is Thunk:
        return force(value)
    if value.kind == 2:
        if current_run().suppress_errors:
            return None
        raise HotRuntimeError(err_message(value.payload), data=value.payload)
    return value.payload
