"""Struct types at runtime: ``Name type {field: Type}`` defines a constructor (spec §3.9)."""

from __future__ import annotations

from typing import Any

from hotlang import ast
from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import handles
from hotlang.errors import HotRuntimeError
from hotlang.functions import Eval
from hotlang.values import FunctionValue, Tagged, type_name


class StructType(FunctionValue):
    """A struct type's constructor: ``T({…})`` tags the map with ``T``'s path; ``null`` stays null."""

    __slots__ = ("fields", "lazy", "name")

    def __init__(self, name: str, fields: tuple[str, ...]) -> None:
        self.name = name
        self.fields = fields
        self.lazy = frozenset()

    def __repr__(self) -> str:
        return f"<type {self.name}>"

    def call(self, args: list[Any]) -> Any:
        if not args:
            return Tagged(self.name, {})
        if len(args) > 1:
            raise HotRuntimeError(f"`{self.name}` takes a map of its fields, but was given {len(args)} arguments")
        value = args[0]
        if value is None:
            return None
        if type(value) is Tagged and value.type_path == self.name:
            return value
        if type(value) is not dict:
            raise HotRuntimeError(f"`{self.name}` expects a Map of its fields, got {type_name(value)}")
        return Tagged(self.name, dict(value))


def struct_type(node: ast.TypeDef, ctx: Ctx, name: str) -> StructType:
    """The constructor for a top-level or local struct type named ``name``."""
    return StructType(f"{ctx.unit.namespace}/{name}", tuple(field.name for field in node.fields))


@handles(ast.TypeDef)
def compile_anonymous_type(node: ast.TypeDef, ctx: Ctx, tail: bool) -> Eval:
    raise ctx.error("a type definition needs a name, as in `Point type {x: Int, y: Int}`", node)
