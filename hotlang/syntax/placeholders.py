"""Lowering ``%`` placeholders into lambdas (spec §3.4).

``map(xs, mul(%, 2))`` becomes ``map(xs, (a) { mul(a, 2) })``: an argument
that holds placeholders becomes a lambda when it sits in a function-typed
parameter slot. The slots of core functions are listed here; ``%(expr)``
marks the boundary explicitly anywhere.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hotlang.syntax import nodes

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
        if isinstance(value, nodes.Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(item for item in value if isinstance(item, nodes.Node))
    return out


def has_placeholder(node: Any) -> bool:
    """True if ``node`` holds a ``%`` that is not inside a lambda or a ``%(…)`` of its own."""
    if isinstance(node, nodes.Placeholder):
        return True
    if isinstance(node, (nodes.Lambda, nodes.FnExpr, nodes.PlaceholderBoundary)):
        return False
    return any(has_placeholder(child) for child in _children(node))


def _highest(node: Any) -> int:
    if isinstance(node, nodes.Placeholder):
        return node.index
    if isinstance(node, (nodes.Lambda, nodes.FnExpr, nodes.PlaceholderBoundary)):
        return 0
    return max((_highest(child) for child in _children(node)), default=0)


def _replace(node: Any) -> Any:
    if isinstance(node, nodes.Placeholder):
        return nodes.Ref(node.line, node.column, f"$pct{node.index}")
    if isinstance(node, (nodes.Lambda, nodes.FnExpr, nodes.PlaceholderBoundary)) or not isinstance(node, nodes.Node):
        return node
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, nodes.Node):
            changes[field.name] = _replace(value)
        elif isinstance(value, tuple):
            changes[field.name] = tuple(_replace(item) for item in value)
    return dataclasses.replace(node, **changes)


def as_lambda(node: Any) -> nodes.Lambda:
    """``expr`` with placeholders → ``($pct1, …) { expr }``."""
    count = _highest(node)
    params = tuple(nodes.Param(node.line, node.column, f"$pct{i}") for i in range(1, count + 1))
    body = nodes.Block(node.line, node.column, (nodes.ExprStatement(node.line, node.column, _replace(node)),))
    return nodes.Lambda(node.line, node.column, params, None, body)


def lower_call_args(node: nodes.Call) -> nodes.Call:
    """Turn the arguments in function slots that hold placeholders into lambdas."""
    callee = node.callee
    name = (
        callee.name if isinstance(callee, nodes.Ref) else callee.name if isinstance(callee, nodes.QualifiedRef) else ""
    )
    slots = FN_SLOTS.get(name)
    if not slots or not any(has_placeholder(arg) for arg in node.args):
        return node
    args = tuple(
        as_lambda(arg) if position in slots and not isinstance(arg, nodes.Spread) and has_placeholder(arg) else arg
        for position, arg in enumerate(node.args)
    )
    return dataclasses.replace(node, args=args)


def _mentions_fn(annotation: Any) -> bool:
    """True if a declared parameter type contains ``Fn`` (``Fn``, ``Fn?``, ``Fn | Str``, ``Vec<Fn>``…)."""
    if isinstance(annotation, nodes.TypeName):
        return annotation.name.rpartition("/")[2] == "Fn" or any(_mentions_fn(arg) for arg in annotation.args)
    if isinstance(annotation, nodes.TypeNullable):
        return _mentions_fn(annotation.inner)
    if isinstance(annotation, nodes.TypeUnion):
        return any(_mentions_fn(option) for option in annotation.options)
    return False


def _user_fn_slots(node: Any, out: dict[str, frozenset[int]]) -> None:
    """Collect ``name fn (f: Fn, …)`` definitions anywhere in ``node``: name → Fn-typed positions."""
    if isinstance(node, nodes.Binding) and not node.target.path and isinstance(node.value, nodes.FnExpr):
        slots = {
            position
            for clause in node.value.clauses
            for position, param in enumerate(clause.params)
            if not param.rest and _mentions_fn(param.type)
        }
        out[node.target.name] = frozenset(slots)
    for child in _children(node):
        _user_fn_slots(child, out)


def _callee_name(callee: Any) -> str:
    if isinstance(callee, nodes.Ref):
        return callee.name
    if isinstance(callee, nodes.QualifiedRef):
        return callee.name.rpartition("/")[2]
    return ""


def _bound_args(call: nodes.Call, slots: frozenset[int], shift: int) -> nodes.Call:
    """Mark the arguments in ``slots`` that hold placeholders with a ``%(…)`` boundary."""
    changed = False
    args: list[Any] = []
    for position, arg in enumerate(call.args):
        if position + shift in slots and not isinstance(arg, nodes.Spread) and has_placeholder(arg):
            arg = nodes.PlaceholderBoundary(arg.line, arg.column, arg)
            changed = True
        args.append(arg)
    return dataclasses.replace(call, args=tuple(args)) if changed else call


def _lower(node: Any, user: dict[str, frozenset[int]]) -> Any:
    """Bottom-up: each placeholder finds the nearest enclosing call argument in a Fn slot."""
    if not isinstance(node, nodes.Node) or isinstance(node, nodes.Placeholder):
        return node
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, nodes.Node):
            lowered = _lower(value, user)
            if lowered is not value:
                changes[field.name] = lowered
        elif isinstance(value, tuple) and any(isinstance(item, nodes.Node) for item in value):
            items = tuple(_lower(item, user) for item in value)
            if any(new is not old for new, old in zip(items, value, strict=True)):
                changes[field.name] = items
    if changes:
        node = dataclasses.replace(node, **changes)
    if isinstance(node, nodes.Call):
        name = _callee_name(node.callee)
        slots = user.get(name, FN_SLOTS.get(name))
        if slots:
            node = _bound_args(node, slots, 0)
    elif isinstance(node, nodes.Pipe):
        stages = list(node.stages)
        for index, stage in enumerate(stages[1:], start=1):
            if isinstance(stage, nodes.Call):
                name = _callee_name(stage.callee)
                slots = user.get(name, FN_SLOTS.get(name))
                if slots:
                    stages[index] = _bound_args(stage, slots, 1)
        if any(new is not old for new, old in zip(stages, node.stages, strict=True)):
            node = dataclasses.replace(node, stages=tuple(stages))
    return node


def lower_module(module: nodes.Module) -> nodes.Module:
    """Give every ``%`` its lambda boundary, using the Fn-typed parameters of the file's own functions.

    Spec §3.4: the expression holding ``%`` becomes a lambda at the nearest
    enclosing call argument whose declared parameter type contains ``Fn``;
    core functions with function parameters are listed in :data:`FN_SLOTS`.
    """
    if not _any_placeholder(module):
        return module
    user: dict[str, frozenset[int]] = {}
    _user_fn_slots(module, user)
    lowered = _lower(module, user)
    assert isinstance(lowered, nodes.Module)
    return lowered


def _any_placeholder(node: Any) -> bool:
    if isinstance(node, nodes.Placeholder):
        return True
    return any(_any_placeholder(child) for child in _children(node))
