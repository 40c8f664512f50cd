"""Deep-path binding: ``root.k[0][] value`` builds an updated copy of ``root`` (spec §3.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.runtime.display import to_str
from hotlang.runtime.keys import map_key
from hotlang.runtime.limits import check_size
from hotlang.runtime.results import err_message
from hotlang.runtime.values import Tagged, Thunk, force, type_name

Step = tuple[str, Any]
"""``("key", str)``, ``("index", int)`` or ``("append", None)``; ``var`` steps are resolved first."""


def assoc_path(root: Any, steps: Sequence[Step], value: Any) -> Any:
    """Return a copy of ``root`` with ``value`` stored at ``steps``; missing levels are created."""
    if not steps:
        return value
    if type(root) is Thunk:
        root = force(root)
    if type(root) is Tagged:
        if root.kind == 2:
            raise HotRuntimeError(f"cannot assign into an Err: {err_message(root.payload)}", data=root.payload)
        return Tagged(root.type_path, assoc_path(root.payload, steps, value), root.has_payload)
    kind, key = steps[0]
    rest = steps[1:]
    if kind.startswith("var_"):
        if root is None:
            raise HotRuntimeError(f"cannot assign at [{to_str(key)}]: the value it goes into does not exist")
        kind = kind[4:]
    if kind == "append":
        items = [] if root is None else _as_list(root, "append to")
        return [*items, assoc_path(None, rest, value)]
    if type(key) is int and type(root) is not dict:
        items = [] if root is None else list(_as_list(root, "index into"))
        if key < 0:
            raise HotRuntimeError(f"cannot assign at negative index {key}")
        if key >= len(items):
            check_size(key + 1, f"assigning at [{key}]")
            items.extend([None] * (key + 1 - len(items)))
        items[key] = assoc_path(items[key], rest, value)
        return items
    key = map_key(key)
    if root is None:
        return {key: assoc_path(None, rest, value)}
    if type(root) is not dict:
        raise HotRuntimeError(f"cannot set key `{key}` on a {type_name(root)}")
    updated = dict(root)
    updated[key] = assoc_path(root.get(key), rest, value)
    return updated


def _as_list(value: Any, action: str) -> list[Any]:
    if type(value) is not list:
        raise HotRuntimeError(f"cannot {action} a {type_name(value)}: a Vec is needed")
    return value  # type: ignore[no-any-return]
