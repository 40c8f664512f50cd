"""Built-in types of the library namespaces that are also constructors (``Uuid``, ``Instant`` …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotlang.runtime.functions import Native
from hotlang.runtime.typevalues import StructType


class NativeType(StructType):
    """A type whose constructor is a Python function given every argument as is.

    A :class:`StructType` sends a single Map or tagged argument to its field-map path; these
    types decide for themselves (``Instant(Millisecond(5))`` is a tagged argument to convert).
    The type path is what ``is-type`` and annotations match against. The constructor runs as a
    :class:`Native`: a wrong argument count is a clear halt and no Python exception escapes.
    """

    __slots__ = ("build",)

    def __init__(self, path: str, build: Callable[..., Any], min_args: int = 0, max_args: int | None = None) -> None:
        super().__init__(path, ())
        self.build = Native(path, build, min_args, max_args)

    def __repr__(self) -> str:
        return f"<type {self.path}>"

    def call(self, args: list[Any]) -> Any:
        return self.build.call(args)
