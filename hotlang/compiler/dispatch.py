"""The compiler's entry point: AST node → closure ``Eval(scope) -> value``.

Each node kind is handled in the module about it (values, calls, flows,
functions); they register here with :func:`handles`. Compiling walks the tree
once; running a closure never looks at the AST again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.functions import Eval

Handler = Callable[[Any, Ctx, bool], Eval]
HANDLERS: dict[type, Handler] = {}
SHAPED = frozenset({"Match", "Parallel", "Cond"})
"""Flows whose result an ``All<…>`` annotation reshapes; any other node drops the annotation."""


def handles(*kinds: type) -> Callable[[Handler], Handler]:
    """Register the decorated function as the compiler of these node types."""

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = handler
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
