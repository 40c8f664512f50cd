"""Static name analysis: which names a body binds and which it references."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from hotlang.syntax import nodes


def _children(node: Any) -> Iterator[Any]:
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, nodes.Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, nodes.Node):
                    yield item


def bound_names(node: Any) -> set[str]:
    """Names bound anywhere in ``node``'s scopes, not looking inside nested functions."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, nodes.Binding):
            found.add(current.target.name)
        if isinstance(current, (nodes.Lambda, nodes.FnExpr)) and current is not node:
            continue
        stack.extend(_children(current))
    return found


def referenced_names(node: Any) -> set[str]:
    """Every unqualified name referenced in ``node``, nested functions included."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (nodes.Ref, nodes.Target)):
            found.add(current.name)
        elif isinstance(current, nodes.PathStep) and current.kind == "var":
            found.add(str(current.key))
        stack.extend(_children(current))
    return found


def binds_directly(node: Any) -> bool:
    """True if evaluating ``node`` may bind names in the current scope (so a branch needs its own)."""
    return bool(bound_names(node))
