"""Lowering ``%`` placeholders into lambdas (spec §3.4).

``map(xs, mul(%, 2))`` becomes ``map(xs, (a) { mul(a, 2) })``: an argument
that holds placeholders becomes a lambda when it sits in a function-typed
parameter slot. The slots of core functions are listed here; ``%(expr)``
marks the boundary explicitly anywhere.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hotlang import ast

FN_SLOTS: dict[str, frozenset[int]] = {
    name: frozenset({1})
    for name in (
        "map",
        "pmap",
        "map-indexed",
        "mapcat",
        "filter",
        "remove",
        "reduce",
        "sort-by",
        "some",
        "all",
        "find-first",
        "for-each",
        "group-by",
        "index-by",
        "partition-by",
        "map-keys",
        "map-vals",
        "filter-keys",
        "filter-vals",
        "walk",
        "prewalk",
        "postwalk",
        "if-ok",
        "if-err",
        "take-while",
        "drop-while",
    )
} | {"update": frozenset({2}), "update-in": frozenset({2}), "call": frozenset({0})}


def _children(node: Any) -> list[Any]:
    out: list[Any] = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, ast.Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(item for item in value if isinstance(item, ast.Node))
    return out


def has_placeholder(node: Any) -> bool:
    """True if ``node`` holds a ``%`` that is not inside a lambda or a ``%(…)`` of its own."""
    if isinstance(node, ast.Placeholder):
        return True
    if isinstance(node, (ast.Lambda, ast.FnExpr, ast.PlaceholderBoundary)):
        return False
    return any(has_placeholder(child) for child in _children(node))


def _highest(node: Any) -> int:
    if isinstance(node, ast.Placeholder):
        return node.index
    if isinstance(node, (ast.Lambda, ast.FnExpr, ast.PlaceholderBoundary)):
        return 0
    return max((_highest(child) for child in _children(node)), default=0)


def _replace(node: Any) -> Any:
    if isinstance(node, ast.Placeholder):
        return ast.Ref(node.line, node.column, f"$pct{node.index}")
    if isinstance(node, (ast.Lambda, ast.FnExpr, ast.PlaceholderBoundary)) or not isinstance(node, ast.Node):
        return node
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, ast.Node):
            changes[field.name] = _replace(value)
        elif isinstance(value, tuple):
            changes[field.name] = tuple(_replace(item) for item in value)
    return dataclasses.replace(node, **changes)


def as_lambda(node: Any) -> ast.Lambda:
    """``expr`` with placeholders → ``($pct1, …) { expr }``."""
    count = _highest(node)
    params = tuple(ast.Param(node.line, node.column, f"$pct{i}") for i in range(1, count + 1))
    body = ast.Block(node.line, node.column, (ast.ExprStatement(node.line, node.column, _replace(node)),))
    return ast.Lambda(node.line, node.column, params, None, body)


def lower_call_args(node: ast.Call) -> ast.Call:
    """Turn the arguments in function slots that hold placeholders into lambdas."""
    callee = node.callee
    name = callee.name if isinstance(callee, ast.Ref) else callee.name if isinstance(callee, ast.QualifiedRef) else ""
    slots = FN_SLOTS.get(name)
    if not slots or not any(has_placeholder(arg) for arg in node.args):
        return node
    args = tuple(
        as_lambda(arg) if position in slots and not isinstance(arg, ast.Spread) and has_placeholder(arg) else arg
        for position, arg in enumerate(node.args)
    )
    return dataclasses.replace(node, args=args)
