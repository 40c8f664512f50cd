"""Text forms of values: ``Str(x)`` (spec §3.10) and the ``println``/CLI display."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hotlang.errors import HotLimitExceeded
from hotlang.runtime.limits import check_text, current_limits
from hotlang.runtime.numbers import int_text
from hotlang.runtime.run import current_run
from hotlang.runtime.values import FunctionValue, HotIter, Tagged


def format_dec(value: Decimal) -> str:
    """Digits with the scale kept and never an exponent: ``5.0``, ``30.480``."""
    return format(value, "f")


TEXT_FORMS: dict[str, Callable[[Any], Any]] = {}
"""The ``-> Str`` arrows of the library's own types (``::hot::uuid/Uuid``, ``::hot::time/Instant`` …)
by type path, which the library registers. Inside a run the program's arrows apply (they start
with these); outside one (the CLI printing a result) these still give the text."""


def _arrow_text(value: Tagged) -> tuple[bool, Any]:
    """Whether a ``-> Str`` arrow converts ``value``, and its result."""
    arrows = current_run().arrows
    if arrows is not None:
        return arrows.convert(value, "::hot::type/Str")  # type: ignore[no-any-return]
    form = TEXT_FORMS.get(value.type_path)
    return (False, value) if form is None else (True, form(value))


def to_str(value: Any) -> str:
    """``Str(value)``: strings unchanged, ``null`` → ``""``, collections in Hot notation."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is Tagged and value.kind == 0:
        converted, text = _arrow_text(value)
        if converted:
            return to_str(text)
    if kind is int:
        return int_text(value)
    return check_text(_literal(value, _Budget("Str"), top=True), "Str")


class _Budget:
    """The characters one conversion may still write: a shared Vec nested in itself by reference
    (``map(v, (_) { v })``) would otherwise print as a text far larger than memory."""

    __slots__ = ("left", "seen", "what")

    def __init__(self, what: str) -> None:
        self.left = current_limits().max_bytes
        self.what = what
        self.seen: dict[int, str] = {}
        """Text of each collection already written, by ``id``: written once, counted at every use."""

    def cached(self, value: list[Any] | dict[Any, Any], write: Callable[[], str]) -> str:
        """The text of a collection: from :attr:`seen` (counted again) or written now."""
        key = id(value)
        text = self.seen.get(key)
        if text is not None:
            return self.spend(text)
        text = write()
        self.seen[key] = text
        return text

    def spend(self, text: str) -> str:
        """Count a leaf's text against the budget; return it."""
        self.charge(len(text))
        return text

    def charge(self, count: int) -> None:
        """Count ``count`` characters (brackets and separators of a collection, a leaf's text)."""
        self.left -= count
        if self.left < 0:
            limit = current_limits().max_bytes
            raise HotLimitExceeded(
                f"{self.what} would produce a Str longer than the limit of {limit:,} bytes (max_bytes)",
                limit="max_bytes",
            )


def _literal(value: Any, budget: _Budget, *, top: bool = False) -> str:
    kind = type(value)
    if kind is str:
        return budget.spend(value if top else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return budget.spend(int_text(value))
    if kind is Decimal:
        return budget.spend(format_dec(value))
    if value is None:
        return ""
    if kind is list or kind is dict:
        return budget.cached(value, lambda: _collection(value, budget, _literal))
    if kind is bytes:
        return "Bytes(" + _literal(list(value), budget) + ")"
    if kind is Tagged:
        if value.kind in (1, 2):
            name = "Ok" if value.kind == 1 else "Err"
            return f"{name}({_literal(value.payload, budget)})"
        converted, text = _arrow_text(value)
        if converted and type(text) is str:
            return _literal(text, budget)  # with a `-> Str` arrow (Uuid, Instant …): its text, quoted
        return f"{value.type_path}({{}})"
    if isinstance(value, FunctionValue):
        return value.name
    if kind is HotIter:
        return "Iter()"
    return str(value)


def display(value: Any) -> str:
    """What ``println`` and ``hot run`` print: strings raw, ``null`` as ``null``, else ``Str``."""
    if value is None:
        return "null"
    if type(value) is list or type(value) is dict:
        return check_text(_literal_display(value, _Budget("printing a value")), "printing a value")
    return to_str(value)


def _literal_display(value: Any, budget: _Budget) -> str:
    """Like ``Str`` but with ``null`` written out, so printed collections stay readable."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is list or kind is dict:
        return budget.cached(value, lambda: _collection(value, budget, _literal_display))
    return _literal(value, budget)


def _collection(value: Any, budget: _Budget, item_text: Callable[[Any, _Budget], str]) -> str:
    """``[a, b]`` or ``{k: v}`` with each item written by ``item_text``, brackets and separators counted."""
    if type(value) is list:
        budget.charge(2 * len(value) + 2)
        return "[" + ", ".join([item_text(item, budget) for item in value]) + "]"
    budget.charge(4 * len(value) + 2)
    entries = [
        f"{budget.spend(str(key))}: {item_text(item, budget)}"
        for key, item in value.items()
        if not str(key).startswith("$")
    ]
    return "{" + ", ".join(entries) + "}"
