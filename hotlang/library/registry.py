"""How core modules declare natives: one :class:`Library` per Hot namespace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hotlang.runtime.display import TEXT_FORMS
from hotlang.runtime.functions import Native

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Library:
    """The natives of one namespace, e.g. ``::hot::math``.

    ``core`` names are also visible unqualified everywhere (spec §3.2).
    """

    namespace: str
    natives: dict[str, Native] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    core: set[str] = field(default_factory=set)
    arrows: list[tuple[str, str, Native]] = field(default_factory=list)

    def native(
        self, name: str, min_args: int, max_args: int | None = -1, *, lazy: tuple[int, ...] = (), core: bool = True
    ) -> Callable[[F], F]:
        """Register the decorated Python function as ``name``; ``max_args=None`` means variadic."""

        def register(fn: F) -> F:
            upper = min_args if max_args == -1 else max_args
            self.natives[name] = Native(f"{self.namespace}/{name}", fn, min_args, upper, frozenset(lazy))
            if core:
                self.core.add(name)
            return fn

        return register

    def value(self, name: str, value: Any, *, core: bool = True) -> None:
        """Register a non-function value (a constructor object, a constant)."""
        self.values[name] = value
        if core:
            self.core.add(name)

    def arrow(self, source: str, target: str, fn: Callable[[Any], Any]) -> None:
        """Register a built-in ``Source -> Target`` conversion (e.g. ``Uuid -> Str`` for ``Str(uuid)``).

        A program's own arrow between the same two types replaces it.
        """
        self.arrows.append((source, target, Native(f"{source} -> {target}", fn, 1, 1)))
        if target == "::hot::type/Str":
            TEXT_FORMS[source] = fn

    def globals(self) -> dict[str, Any]:
        """Everything this namespace defines, by unqualified name."""
        return {**self.values, **self.natives}
