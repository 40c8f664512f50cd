"""Built-in types of the library namespaces that are also constructors (``Uuid``, ``Instant`` …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotlang.runtime.typevalues import StructType


class NativeType(StructType):
    """A type whose constructor is a Python function given every argument as is.

    A :class:`StructType` sends a single Map or tagged argument to its field-map path; these
    types decide for themselves (``Instant(Millisecond(5))`` is a tagged argument to convert).
    The type path is what ``is-type`` and annotations match against.
    """

    __slots__ = ("build",)

    def __init__(self, path: str, build: Callable[..., Any]) -> None:
        super().__init__(path, ())
        self.build = build

    def __repr__(self) -> str:
        return f"<type {self.path}>"

    def call(self, args: list[Any]) -> Any:
        return self.build(*args)
