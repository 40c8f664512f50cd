"""Int ⇄ text for Ints of any size the digit cap allows.

Python refuses to convert an int of more than 4,300 digits to or from ``str`` (a process-wide
guard we must not lift, since the services parse untrusted JSON with it). Hot's own rule is
:attr:`~hotlang.runtime.limits.Limits.max_int_digits`: below it every Int prints and parses; the
long ones go through :class:`~decimal.Decimal`, whose exact conversions have no such guard.
"""

from __future__ import annotations

import re
from decimal import Decimal

from hotlang.runtime.limits import check_int_digits

PYTHON_DIGITS = 4_000
"""Ints with fewer digits than this use plain ``str``/``int`` (Python's own limit is 4,300)."""

_PYTHON_BITS = 13_000
"""Ints of fewer bits than this have fewer than :data:`PYTHON_DIGITS` digits (13,000 bits ≈ 3,914)."""

_INTEGER = re.compile(r"[+-]?[0-9]+")


def int_text(value: int) -> str:
    """The decimal digits of ``value``, however long."""
    if -(1 << _PYTHON_BITS) < value < 1 << _PYTHON_BITS:
        return str(value)
    return format(Decimal(value), "f")


def parse_int(text: str, what: str) -> int:
    """Read a decimal Int, refusing more digits than ``max_int_digits`` before converting.

    Raises ``ValueError`` for text that is not an integer, as ``int`` does.
    """
    digits = len(text) - (1 if text[:1] in "+-" else 0)
    if digits < PYTHON_DIGITS:
        return int(text)
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"invalid literal for an Int: {text[:40]!r}")
    check_int_digits(len(text.lstrip("+-").lstrip("0")), what)
    return int(Decimal(text))
