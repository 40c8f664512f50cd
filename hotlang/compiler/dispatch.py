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
    if handler is None:
        raise ctx.error(f"{type(node).__name__} is not supported by this interpreter yet", node)
    return handler(node, ctx, tail)
