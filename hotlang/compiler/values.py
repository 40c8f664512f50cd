"""Compiling literals, names, templates, collections and reads."""

from __future__ import annotations

from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import compile_expr, handles
from hotlang.errors import HotRuntimeError
from hotlang.runtime.access import read_field, read_index
from hotlang.runtime.display import to_str
from hotlang.runtime.functions import MISSING, Eval, FunctionAlias, Scope
from hotlang.runtime.limits import check_text
from hotlang.runtime.results import consume
from hotlang.runtime.values import Tagged, Thunk, force, type_name
from hotlang.syntax import nodes


def settle(value: Any) -> Any:
    """Argument boundary: force a thunk, unwrap Ok, halt on Err."""
    if type(value) is Thunk:
        value = force(value)
    return consume(value)


@handles(nodes.Const)
def compile_const(node: nodes.Const, ctx: Ctx, tail: bool) -> Eval:
    value = node.value
    return lambda scope: value


def undefined(name: str, ctx: Ctx, node: nodes.Node) -> HotRuntimeError:
    error = HotRuntimeError(f"`{name}` is not defined")
    error.add_frame(ctx.frame(node))
    return error


def global_lookup(name: str, ctx: Ctx, node: nodes.Node) -> Eval:
    """Namespace, then core (spec §3.2 steps 2–4)."""
    namespace_globals = ctx.unit.globals
    core = ctx.unit.core

    def lookup_global(scope: Scope) -> Any:
        value = namespace_globals.get(name, MISSING)
        if value is MISSING:
            value = core.get(name, MISSING)
            if value is MISSING:
                raise undefined(name, ctx, node)
        return value

    return lookup_global


@handles(nodes.Ref)
def compile_ref(node: nodes.Ref, ctx: Ctx, tail: bool) -> Eval:
    name = node.name
    if name not in ctx.local_names:
        return global_lookup(name, ctx, node)
    fallback = global_lookup(name, ctx, node)

    def lookup_local(scope: Scope) -> Any:
        current: Scope | None = scope
        while current is not None:
            value = current.vars.get(name, MISSING)
            if value is not MISSING:
                return value
            current = current.parent
        return fallback(scope)

    return lookup_local


def qualified_lookup(namespace: str, name: str, ctx: Ctx, node: nodes.Node) -> Eval:
    namespaces = ctx.unit.namespaces
    qualified = f"{namespace}/{name}"

    def lookup_qualified(scope: Scope) -> Any:
        table = namespaces.get(namespace)
        if table is None:
            error = HotRuntimeError(f"namespace `{namespace}` is not defined (looking up `{qualified}`)")
            error.add_frame(ctx.frame(node))
            raise error
        value = table.get(name, MISSING)
        if value is MISSING:
            raise undefined(qualified, ctx, node)
        if type(value) is FunctionAlias:
            return value.target()
        return value

    return lookup_qualified


@handles(nodes.QualifiedRef)
def compile_qualified(node: nodes.QualifiedRef, ctx: Ctx, tail: bool) -> Eval:
    return qualified_lookup(ctx.expand_namespace(node.namespace), node.name, ctx, node)


@handles(nodes.Template)
def compile_template(node: nodes.Template, ctx: Ctx, tail: bool) -> Eval:
    parts: list[Eval] = []
    for part in node.parts:
        if isinstance(part, str):
            text = part
            parts.append(lambda scope, text=text: text)  # type: ignore[misc]
        else:
            inner = compile_expr(part, ctx)
            parts.append(lambda scope, inner=inner: to_str(settle(inner(scope))))  # type: ignore[misc]

    def template(scope: Scope) -> str:
        return check_text("".join([part(scope) for part in parts]), "a string template")

    return template


def _spread_items(value: Any, ctx: Ctx, node: nodes.Node) -> list[Any]:
    value = settle(value)
    if value is None:
        return []
    if type(value) is list:
        return value  # type: ignore[no-any-return]
    error = HotRuntimeError(f"only a Vec can be spread here, got {type_name(value)}")
    error.add_frame(ctx.frame(node))
    raise error


@handles(nodes.VectorLit)
def compile_vector(node: nodes.VectorLit, ctx: Ctx, tail: bool) -> Eval:
    if not any(isinstance(item, nodes.Spread) for item in node.items):
        items = [compile_expr(item, ctx) for item in node.items]
        return lambda scope: [item(scope) for item in items]
    parts = [
        (isinstance(item, nodes.Spread), compile_expr(item.expr if isinstance(item, nodes.Spread) else item, ctx))
        for item in node.items
    ]

    def vector(scope: Scope) -> list[Any]:
        out: list[Any] = []
        for spread, part in parts:
            if spread:
                out.extend(_spread_items(part(scope), ctx, node))
            else:
                out.append(part(scope))
        return out

    return vector


@handles(nodes.MapLit)
def compile_map(node: nodes.MapLit, ctx: Ctx, tail: bool) -> Eval:
    entries: list[tuple[str | None, Eval]] = []
    for entry in node.entries:
        if isinstance(entry, nodes.Spread):
            entries.append((None, compile_expr(entry.expr, ctx)))
        else:
            entries.append((entry.key, compile_expr(entry.value, ctx)))
    if all(key is not None for key, _ in entries):
        pairs = [(key, value) for key, value in entries]
        return lambda scope: {key: value(scope) for key, value in pairs}

    def map_with_spread(scope: Scope) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, part in entries:
            if key is not None:
                out[key] = part(scope)
                continue
            value = settle(part(scope))
            if type(value) is Tagged and value.kind == 0:
                value = value.payload
            if type(value) is dict:
                out.update(value)
            elif value is not None:
                error = HotRuntimeError(f"only a Map can be spread into a map, got {type_name(value)}")
                error.add_frame(ctx.frame(node))
                raise error
        return out

    return map_with_spread


def _with_frame(error: HotRuntimeError, ctx: Ctx, node: nodes.Node) -> HotRuntimeError:
    if not error.stack:
        error.add_frame(ctx.frame(node))
    return error


@handles(nodes.Field)
def compile_field(node: nodes.Field, ctx: Ctx, tail: bool) -> Eval:
    target = compile_expr(node.target, ctx)
    name = node.name

    def field(scope: Scope) -> Any:
        value = target(scope)
        if type(value) is dict:
            return value.get(name)
        try:
            return read_field(value, name)
        except HotRuntimeError as error:
            raise _with_frame(error, ctx, node) from None

    return field


@handles(nodes.Index)
def compile_index(node: nodes.Index, ctx: Ctx, tail: bool) -> Eval:
    target = compile_expr(node.target, ctx)
    key = compile_expr(node.key, ctx)

    def index(scope: Scope) -> Any:
        value = target(scope)
        try:
            return read_index(value, settle(key(scope)))
        except HotRuntimeError as error:
            raise _with_frame(error, ctx, node) from None

    return index


@handles(nodes.AppendSlot)
def compile_append_slot(node: nodes.AppendSlot, ctx: Ctx, tail: bool) -> Eval:
    raise ctx.error("`[]` appends and can only be used on the left of a binding, as in `items[] value`", node)


@handles(nodes.Do)
def compile_do(node: nodes.Do, ctx: Ctx, tail: bool) -> Eval:
    inner = compile_expr(node.expr, ctx)
    return lambda scope: force(inner(scope))
