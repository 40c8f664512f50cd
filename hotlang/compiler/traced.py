"""Named functions of a traced program: each call opens a span when the run has a tracer.

A traced program never hands functions to the Python code generator: the
closures carry the span hooks, and a program loaded without ``traced`` keeps
the generated fast path untouched (see :mod:`hotlang.runtime.tracing`).
"""

from __future__ import annotations

from typing import Any

from hotlang.runtime.functions import Function
from hotlang.runtime.run import current_run
from hotlang.runtime.tracing import traced_call
from hotlang.runtime.values import FunctionValue


class TracedFunction(FunctionValue):
    """A top-level function (or arrow) whose calls are spans named by its qualified name."""

    __slots__ = ("attributes", "closure", "lazy", "name")

    def __init__(self, closure: Function, *, namespace: str, file: str, line: int, column: int) -> None:
        self.closure = closure
        self.name = closure.name
        self.lazy = closure.lazy
        self.attributes: dict[str, str | int | bool] = {
            "hot.namespace": namespace,
            "code.filepath": file,
            "code.lineno": line,
            "code.column": column,
        }

    def __repr__(self) -> str:
        return f"<fn {self.name}>"

    def lazy_positions(self, count: int) -> frozenset[int]:
        return self.closure.lazy_positions(count)

    def call(self, args: list[Any]) -> Any:
        tracer = current_run().tracer
        closure = self.closure
        if tracer is None:
            return closure.call(args)
        return traced_call(tracer, self.name, dict(self.attributes), args, lambda: closure.call(args))
