"""Callable values: user functions and lambdas, natives, lazy aliases, tail calls.

A :class:`Function` owns one or more :class:`Clause` s (overloads) already
compiled to closures. Calling it binds the arguments in a fresh
:class:`Scope` and runs the clause body; a self-recursive call in tail
position comes back as a :class:`TailCall` and is looped on here, so a
tail-recursive Hot loop uses constant Python stack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hotlang.errors import HotError, HotRuntimeError, python_error
from hotlang.runtime.results import consume
from hotlang.runtime.run import current_run
from hotlang.runtime.values import FunctionValue, Tagged, Thunk, force, type_name

MISSING: Any = object()
"""Sentinel for "no such name" in scope lookups."""


class Scope:
    """Variables of one function call, branch or lambda snapshot, with its enclosing scope."""

    __slots__ = ("parent", "vars")

    def __init__(self, variables: dict[str, Any], parent: Scope | None) -> None:
        self.vars = variables
        self.parent = parent

    def lookup(self, name: str) -> Any:
        """The innermost binding of ``name``, or :data:`MISSING`."""
        scope: Scope | None = self
        while scope is not None:
            value = scope.vars.get(name, MISSING)
            if value is not MISSING:
                return value
            scope = scope.parent
        return MISSING


Eval = Callable[[Scope], Any]
TypeCheck = Callable[[Any], bool]


class Clause:
    """One overload: parameter names, laziness, optional type checks and the compiled body."""

    __slots__ = ("arity", "body", "checks", "declared", "lazy", "names", "rest", "strict_positions")

    def __init__(
        self,
        names: Sequence[str],
        *,
        rest: bool,
        lazy: frozenset[int],
        checks: Sequence[TypeCheck | None],
        body: Eval,
        declared: Sequence[str | None] = (),
    ) -> None:
        self.declared = tuple(declared) if any(declared) else ()
        self.names = tuple(names)
        self.rest = rest
        self.arity = len(self.names) - (1 if rest else 0)
        self.lazy = lazy
        self.checks = tuple(checks)
        self.body = body
        self.strict_positions = tuple(i for i in range(len(self.names)) if i not in lazy)

    def accepts_count(self, count: int) -> bool:
        return count == self.arity or (self.rest and count >= self.arity)

    def accepts_types(self, args: Sequence[Any]) -> bool:
        for check, value in zip(self.checks, args, strict=False):
            if check is not None and not check(value):
                return False
        return True

    def bind(self, args: Sequence[Any], relaxed: bool) -> dict[str, Any]:
        names = self.names
        if self.rest:
            fixed = self.arity
            variables = dict(zip(names[:fixed], args[:fixed], strict=False))
            variables[names[fixed]] = list(args[fixed:])
        elif relaxed and len(args) != len(names):
            padded = list(args[: len(names)]) + [None] * (len(names) - len(args))
            variables = dict(zip(names, padded, strict=True))
        else:
            variables = dict(zip(names, args, strict=True))
        return variables


class TailCall:
    """A call in tail position, returned to the calling :class:`Function` loop instead of made."""

    __slots__ = ("args", "function")

    def __init__(self, function: Function, args: list[Any]) -> None:
        self.function = function
        self.args = args


class Function(FunctionValue):
    """A named function (strict arity, overloads) or a lambda (relaxed arity, one clause)."""

    __slots__ = ("clauses", "def_scope", "lazy", "name", "relaxed")

    def __init__(self, name: str, clauses: Sequence[Clause], def_scope: Scope | None, *, relaxed: bool = False) -> None:
        self.name = name
        self.clauses = tuple(clauses)
        self.def_scope = def_scope
        self.relaxed = relaxed
        lazy: set[int] = set()
        for clause in self.clauses:
            lazy |= clause.lazy
        self.lazy = frozenset(lazy)

    def __repr__(self) -> str:
        return f"<fn {self.name}>"

    def lazy_positions(self, count: int) -> frozenset[int]:
        return self.lazy

    def select(self, args: Sequence[Any]) -> Clause:
        """Pick the clause for these arguments: exact arity and types, then arity, then variadic."""
        clauses = self.clauses
        if len(clauses) == 1:
            clause = clauses[0]
            if self.relaxed or clause.accepts_count(len(args)):
                return clause
        count = len(args)
        by_arity = [c for c in clauses if c.arity == count and not c.rest]
        if len(by_arity) == 1:
            return by_arity[0]
        if by_arity:
            for clause in by_arity:
                if clause.accepts_types(args):
                    return clause
            return by_arity[-1]
        for clause in clauses:
            if clause.accepts_count(count):
                return clause
        arities = sorted({f"{c.arity}+" if c.rest else str(c.arity) for c in clauses})
        raise HotRuntimeError(f"`{self.name}` takes {_arguments(' or '.join(arities))}, but was given {count}")

    def call(self, args: list[Any]) -> Any:
        clauses = self.clauses
        if len(clauses) == 1 and not self.lazy and not self.relaxed:
            clause = clauses[0]
            if not clause.rest and len(args) == clause.arity and not clause.declared:
                result = clause.body(Scope(dict(zip(clause.names, args, strict=True)), self.def_scope))
                if type(result) is not TailCall:
                    return result
                if result.function is not self:
                    return result.function.call(result.args)
                args = result.args
        clause = self.select(args)
        while True:
            if self.lazy:
                args = _settle_strict(clause, args)
            if clause.declared:
                args = _coerce(clause, args)
            result = clause.body(Scope(clause.bind(args, self.relaxed), self.def_scope))
            if type(result) is TailCall:
                if result.function is self:
                    args = result.args
                    clause = self.select(args)
                    continue
                return result.function.call(result.args)
            return result


def _coerce(clause: Clause, args: list[Any]) -> list[Any]:
    """Implicit coercion through arrows (spec §3.4): all mismatched arguments convert, or none."""

    arrows = current_run().arrows
    if arrows is None:
        return args
    converted = list(args)
    changed = False
    for index, (declared, check) in enumerate(zip(clause.declared, clause.checks, strict=False)):
        if declared is None or check is None or index >= len(args) or check(args[index]):
            continue
        value = args[index]
        arrow = arrows.find_short(value.type_path, declared) if type(value) is Tagged else None
        if arrow is None:
            return args
        converted[index] = consume(arrow.call([value]))
        changed = True
    return converted if changed else args


def _arguments(count: str) -> str:
    return f"{count} argument" if count == "1" else f"{count} arguments"


def _settle_strict(clause: Clause, args: list[Any]) -> list[Any]:
    """Force thunks that reached strict parameters (possible when overloads differ in laziness)."""
    if not any(type(a) is Thunk for a in args):
        return args
    settled = list(args)
    for index in clause.strict_positions:
        if index < len(settled) and type(settled[index]) is Thunk:
            settled[index] = consume(force(settled[index]))
    return settled


class Native(FunctionValue):
    """A function implemented in Python. Python exceptions become Hot runtime errors."""

    __slots__ = ("fn", "lazy", "max_args", "min_args", "name")

    def __init__(
        self, name: str, fn: Callable[..., Any], min_args: int, max_args: int | None, lazy: frozenset[int] = frozenset()
    ) -> None:
        self.name = name
        self.fn = fn
        self.min_args = min_args
        self.max_args = max_args
        self.lazy = lazy

    def __repr__(self) -> str:
        return f"<native {self.name}>"

    def lazy_positions(self, count: int) -> frozenset[int]:
        return self.lazy

    def call(self, args: list[Any]) -> Any:
        count = len(args)
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            raise HotRuntimeError(f"`{self.name}` takes {_arguments(self._arity_text())}, but was given {count}")
        try:
            return self.fn(*args)
        except (HotError, RecursionError):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug or unexpected input inside a native becomes a halt
            raise python_error(exc, f"{self.name} failed: ") from None

    def _arity_text(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.max_args == self.min_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


class FunctionAlias(FunctionValue):
    """``name ::ns/fn`` at top level: resolved when called, so the target may be defined later."""

    __slots__ = ("_resolve", "lazy", "name")

    def __init__(self, name: str, resolve: Callable[[], Any]) -> None:
        self.name = name
        self._resolve = resolve
        self.lazy = frozenset()

    def target(self) -> FunctionValue:
        value = self._resolve()
        if not isinstance(value, FunctionValue):
            raise HotRuntimeError(f"`{self.name}` is not a function (it is {type_name(value)})")
        return value

    def lazy_positions(self, count: int) -> frozenset[int]:
        return self.target().lazy_positions(count)

    def call(self, args: list[Any]) -> Any:
        return self.target().call(args)


def call_value(fn: Any, args: list[Any]) -> Any:
    """Call any Hot function value with prepared arguments (used by natives such as ``map``)."""
    if isinstance(fn, FunctionValue):
        return fn.call(args)
    raise HotRuntimeError(f"expected a function, got {type_name(fn)}")
