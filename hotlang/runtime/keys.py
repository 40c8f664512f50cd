"""Map keys: how a Hot value is stored as a Python dict key, and back (spec §3.1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hotlang.runtime.display import to_str


class KeyBox:
    """A Map key that Python would confuse with another: Bool and Dec (spec §3.1).

    Python's dict treats ``1``, ``True`` and ``Decimal(1)`` as one key; Hot keeps
    them apart. Str and Int keys stay plain, so ordinary maps remain plain dicts.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))

    def __eq__(self, other: object) -> bool:
        return type(other) is KeyBox and type(other.value) is type(self.value) and bool(other.value == self.value)

    def __repr__(self) -> str:
        return f"KeyBox({self.value!r})"

    def __str__(self) -> str:
        return to_str(self.value)


def map_key(key: Any) -> Any:
    """The dict key under which a Hot value is stored in a Map."""
    kind = type(key)
    if kind is str or kind is int:
        return key
    if kind is bool or kind is Decimal:
        return KeyBox(key)
    return key


def hot_key(key: Any) -> Any:
    """The Hot value of a stored dict key (undoes :func:`map_key`)."""
    return key.value if type(key) is KeyBox else key


def map_pairs(collection: dict[Any, Any]) -> list[list[Any]]:
    """``[[key, value], …]`` of a Map, keys as Hot values."""
    return [[key.value if type(key) is KeyBox else key, value] for key, value in collection.items()]
