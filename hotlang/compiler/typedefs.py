"""Struct types at runtime: ``Name type {field: Type}`` defines a constructor (spec §3.9)."""

from __future__ import annotations

from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import handles
from hotlang.compiler.functions import compile_clauses
from hotlang.runtime.functions import Eval, Function
from hotlang.runtime.typevalues import BUILTIN, BUILTIN_NAMES, EnumType, StructType, TypeAliasValue
from hotlang.runtime.values import FunctionValue
from hotlang.syntax import nodes


def struct_type(node: nodes.TypeDef, ctx: Ctx, name: str) -> StructType:
    """The constructor for a top-level or local struct type named ``name``."""
    path = f"{ctx.unit.namespace}/{name}"
    struct = StructType(path, tuple(field.name for field in node.fields), nominal=node.nominal)
    if node.constructor is not None:
        struct.constructor = Function(path, compile_clauses(node.constructor, ctx, name, path, local=False), None)
    return struct


def define_type(node: nodes.TypeDef | nodes.EnumDef | nodes.TypeAlias, ctx: Ctx, name: str) -> Any:
    """The runtime value of ``name type …`` / ``name enum …``."""
    if isinstance(node, nodes.TypeDef):
        return struct_type(node, ctx, name)
    path = f"{ctx.unit.namespace}/{name}"
    if isinstance(node, nodes.TypeAlias):
        target = node.type
        if isinstance(target, nodes.TypeName) and not target.args:
            short = target.name.rpartition("/")[2]
            if short in BUILTIN_NAMES:
                return TypeAliasValue(BUILTIN + short)
        return TypeAliasValue(path)
    enum = EnumType(path, is_open=node.open)
    for variant in node.variants:
        if variant.payload is None:
            enum.add_unit(variant.name)
        else:
            enum.add_payload(variant.name, _payload_constructor(variant.payload, ctx))
    return enum


def _payload_constructor(type_expr: nodes.TypeExpr, ctx: Ctx) -> Any:
    """The constructor a variant payload runs through (resolved when first used)."""
    if isinstance(type_expr, nodes.TypeName) and type_expr.name.rpartition("/")[2] not in BUILTIN_NAMES:
        name = type_expr.name
        unit = ctx.unit

        class _Lazy(FunctionValue):
            __slots__ = ()
            lazy = frozenset()

            def call(self, args: list[Any]) -> Any:
                if "/" in name:
                    namespace, _, short = name.rpartition("/")
                    value = unit.namespaces.get(ctx.expand_namespace(namespace), {}).get(short)
                else:
                    value = unit.globals.get(name, unit.core.get(name))
                return value.call(args) if isinstance(value, FunctionValue) else args[0]

        return _Lazy()
    return None


@handles(nodes.TypeDef, nodes.EnumDef, nodes.TypeAlias)
def compile_anonymous_type(node: nodes.TypeDef, ctx: Ctx, tail: bool) -> Eval:
    raise ctx.error("a type definition needs a name, as in `Point type {x: Int, y: Int}`", node)
