"""The compiler's entry points: AST node → closure ``Eval(scope) -> value``.

Each node kind is handled in the module about it (values, calls, flows,
functions); they register here with :func:`handles` (expressions) and
:func:`handles_statement` (statements other than a bare expression) when
:mod:`hotlang.compiler` is imported. The grammar is recursive (a ``parallel``
holds statements, a statement holds a ``fn``), but the modules are not: each
one reaches the others only through this table. Compiling walks the tree once;
running a closure never looks at the AST again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.runtime.functions import Eval
from hotlang.syntax import nodes

Handler = Callable[[Any, Ctx, bool], Eval]
HANDLERS: dict[type, Handler] = {}
STATEMENT_HANDLERS: dict[type, Handler] = {}
SHAPED = frozenset({"Match", "Parallel", "Cond"})
"""Flows whose result an ``All<…>`` annotation reshapes; any other node drops the annotation."""


def handles(*kinds: type, table: dict[type, Handler] = HANDLERS) -> Callable[[Handler], Handler]:
    """Register the decorated function as the compiler of these node types."""

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            table[kind] = handler
        return handler

    return register


def compile_expr(node: Any, ctx: Ctx, tail: bool = False) -> Eval:
    """Compile an expression; ``tail`` marks a tail position of a function body."""
    handler = HANDLERS.get(type(node))
    if ctx.shape is not None and type(node).__name__ not in SHAPED:
        ctx = ctx.replace(shape=None)
    if handler is None:
        raise ctx.error(f"{type(node).__name__} is not supported by this interpreter yet", node)
    return handler(node, ctx, tail)


def handles_statement(*kinds: type) -> Callable[[Handler], Handler]:
    """Register the decorated function as the compiler of these statement types."""
    return handles(*kinds, table=STATEMENT_HANDLERS)


def compile_statement(statement: nodes.Statement, ctx: Ctx, tail: bool) -> Eval:
    """Compile one statement of a body; ``tail`` marks the last statement of a function body."""
    if isinstance(statement, nodes.ExprStatement):
        return compile_expr(statement.expr, ctx, tail)
    handler = STATEMENT_HANDLERS.get(type(statement))
    if handler is not None:
        return handler(statement, ctx, tail)
    if isinstance(statement, nodes.NamespaceDecl):
        raise ctx.error("a namespace can only be declared at the top level of a file", statement)
    raise ctx.error(f"{type(statement).__name__} is not supported here", statement)
