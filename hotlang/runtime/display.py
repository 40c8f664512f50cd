"""Text forms of values: ``Str(x)`` (spec §3.10) and the ``println``/CLI display."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hotlang.runtime.run import current_run
from hotlang.runtime.values import FunctionValue, HotIter, Tagged


def format_dec(value: Decimal) -> str:
    """Digits with the scale kept and never an exponent: ``5.0``, ``30.480``."""
    return format(value, "f")


def to_str(value: Any) -> str:
    """``Str(value)``: strings unchanged, ``null`` → ``""``, collections in Hot notation."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is Tagged and value.kind == 0:
        arrows = current_run().arrows
        if arrows is not None:
            converted, text = arrows.convert(value, "::hot::type/Str")
            if converted:
                return to_str(text)
    return _literal(value, top=True)


def _literal(value: Any, *, top: bool = False) -> str:
    kind = type(value)
    if kind is str:
        return value if top else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is Decimal:
        return format_dec(value)
    if value is None:
        return ""
    if kind is list:
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if kind is dict:
        entries = [f"{key}: {_literal(item)}" for key, item in value.items() if not str(key).startswith("$")]
        return "{" + ", ".join(entries) + "}"
    if kind is bytes:
        return "Bytes(" + _literal(list(value)) + ")"
    if kind is Tagged:
        if value.kind in (1, 2):
            name = "Ok" if value.kind == 1 else "Err"
            return f"{name}({_literal(value.payload)})"
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
        return _literal_display(value)
    return to_str(value)


def _literal_display(value: Any) -> str:
    """Like ``Str`` but with ``null`` written out, so printed collections stay readable."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is list:
        return "[" + ", ".join(_literal_display(item) for item in value) + "]"
    if kind is dict:
        entries = [f"{key}: {_literal_display(item)}" for key, item in value.items() if not str(key).startswith("$")]
        return "{" + ", ".join(entries) + "}"
    return _literal(value)
