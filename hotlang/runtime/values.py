"""Runtime value representation (spec §3.1).

Plain Python values stand for most Hot values: ``int`` (Int), ``Decimal``
(Dec, context :data:`DEC`), ``str``, ``bool``, ``None`` (Null), ``list`` (Vec,
never mutated once built), ``dict`` (Map, insertion-ordered). The classes
here cover the rest: tagged values (``{$type, $val}``, including Results),
thunks for lazy parameters, and iterators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_EVEN, Context, Decimal
from itertools import islice
from typing import Any

from hotlang.runtime.limits import check_size, current_limits

DEC = Context(prec=76, rounding=ROUND_HALF_EVEN)
"""The decimal context of every Dec operation: 76 significant digits."""

RESULT_OK = "::hot::type/Result.Ok"
RESULT_ERR = "::hot::type/Result.Err"


class Tagged:
    """A value carrying a type path: ``{$type: type_path, $val: payload}``.

    ``kind`` caches whether this is a Result (``1`` Ok, ``2`` Err, ``0`` other)
    so argument consumption can test it with one comparison.
    """

    __slots__ = ("has_payload", "kind", "payload", "type_path")

    def __init__(self, type_path: str, payload: Any = None, has_payload: bool = True) -> None:
        self.type_path = type_path
        self.payload = payload
        self.has_payload = has_payload
        self.kind = 1 if type_path == RESULT_OK else 2 if type_path == RESULT_ERR else 0

    def __repr__(self) -> str:
        return f"Tagged({self.type_path!r}, {self.payload!r})"

    @property
    def is_err(self) -> bool:
        return self.kind == 2

    @property
    def is_ok(self) -> bool:
        return self.kind == 1


def ok(value: Any) -> Tagged:
    """Build ``Result.Ok(value)``."""
    return Tagged(RESULT_OK, value)


def err(value: Any) -> Tagged:
    """Build ``Result.Err(value)``."""
    return Tagged(RESULT_ERR, value)


class FunctionValue:
    """Base of every callable Hot value (named functions, lambdas, natives, aliases).

    ``call`` receives already-prepared arguments: strict ones consumed, lazy
    ones as :class:`Thunk` (or plain values, which ``do`` passes through).
    """

    __slots__ = ()

    name: str
    lazy: frozenset[int]

    def call(self, args: list[Any]) -> Any:
        raise NotImplementedError

    def lazy_positions(self, count: int) -> frozenset[int]:
        """Which of ``count`` arguments this function receives unevaluated."""
        return frozenset()

    def direct(self, count: int) -> Callable[..., Any] | None:
        """A plain Python callable taking ``count`` already-consumed positional arguments, if any.

        Natives such as ``map`` use it to skip argument-list building on every element.
        """
        return None


class Thunk:
    """What a ``lazy`` parameter receives: an unevaluated argument and its scope.

    Each :meth:`force` re-evaluates (spec §3.4: every ``do`` evaluates again).
    """

    __slots__ = ("evaluate", "scope")

    def __init__(self, evaluate: Callable[[Any], Any], scope: Any) -> None:
        self.evaluate = evaluate
        self.scope = scope

    def force(self) -> Any:
        return self.evaluate(self.scope)


def force(value: Any) -> Any:
    """``do value``: evaluate a thunk, or return any other value unchanged."""
    while type(value) is Thunk:
        value = value.force()
    return value


class HotIter:
    """A stateful iterator (spec §3.11): every holder sees ``next`` advance it."""

    __slots__ = ("_items", "announce")

    def __init__(self, items: Iterator[Any], announce: Callable[[Any], None] | None = None) -> None:
        self._items = items
        self.announce = announce
        """Called by ``::hot::iter/next`` and ``collect`` with each non-null value they pull (an HTTP
        stream body publishes it as ``stream:data``); other ways of reading the Iter do not call it."""

    def next(self) -> tuple[bool, Any]:
        """Return ``(done, value)``."""
        for value in self._items:
            return False, value
        return True, None

    def remaining(self) -> list[Any]:
        """Every value not read yet, refusing more than ``max_items`` (an Iter may be endless)."""
        limit = current_limits().max_items
        items = list(islice(self._items, limit + 1))
        check_size(len(items), "collecting an Iter")
        return items


def type_name(value: Any) -> str:
    """The short runtime type name used in messages and dispatch: Int, Str, Vec, …"""
    kind = type(value)
    if kind is bool:
        return "Bool"
    if kind is int:
        return "Int"
    if kind is Decimal:
        return "Dec"
    if kind is str:
        return "Str"
    if value is None:
        return "Null"
    if kind is list:
        return "Vec"
    if kind is dict:
        return "Map"
    if kind is bytes:
        return "Bytes"
    if kind is Tagged:
        return str(value.type_path.rpartition("/")[2])
    if kind is HotIter:
        return "Iter"
    if isinstance(value, FunctionValue):
        return "Fn"
    return kind.__name__


def is_truthy(value: Any) -> bool:
    """Only ``false``, ``null`` and Err are falsy; ``Ok(x)`` is as truthy as ``x`` (spec §3.7)."""
    if value is None or value is False:
        return False
    if type(value) is Tagged:
        if value.kind == 2:
            return False
        if value.kind == 1:
            return is_truthy(value.payload)
    return True
