"""``::hot::bit`` and ``::hot::bytes``: bitwise Int operations and Bytes helpers (big-endian by default)."""

from __future__ import annotations

import zlib
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_int
from hotlang.library.registry import Library
from hotlang.runtime.limits import check_bytes, check_int, check_int_bits, check_size, int_digits
from hotlang.runtime.numbers import int_text
from hotlang.runtime.values import type_name

bit = Library("::hot::bit")
data = Library("::hot::bytes")
types = Library("::hot::type")


@types.native("Bytes", 1)
def bytes_(value: Any) -> bytes:
    """Bytes from a Vec of Ints 0–255, a Str (UTF-8) or Bytes."""
    if type(value) is bytes:
        return value
    if type(value) is str:
        return value.encode()
    if type(value) is list:
        if not all(type(item) is int and 0 <= item <= 255 for item in value):
            raise HotRuntimeError("Bytes expects a Vec of Ints between 0 and 255")
        return bytes(value)
    raise HotRuntimeError(f"Bytes expects a Vec of Ints or a Str, got {type_name(value)}")


@types.native("is-bytes", 1)
def is_bytes(value: Any) -> bool:
    return type(value) is bytes


def _ints(fn: str, *values: Any) -> list[int]:
    return [expect_int(fn, value) for value in values]


@bit.native("and", 2, core=False)
def bit_and(a: Any, b: Any) -> int:
    x, y = _ints("::hot::bit/and", a, b)
    return x & y


@bit.native("or", 2, core=False)
def bit_or(a: Any, b: Any) -> int:
    x, y = _ints("::hot::bit/or", a, b)
    return x | y


@bit.native("xor", 2, core=False)
def bit_xor(a: Any, b: Any) -> int:
    x, y = _ints("::hot::bit/xor", a, b)
    return x ^ y


@bit.native("not", 1, core=False)
def bit_not(a: Any) -> int:
    return ~expect_int("::hot::bit/not", a)


@bit.native("shift-left", 2, core=False)
def shift_left(a: Any, n: Any) -> int:
    x, y = _ints("::hot::bit/shift-left", a, n)
    if not 0 <= y <= 63:
        raise HotRuntimeError("shift-left takes a shift between 0 and 63")
    return check_int(x << y, "shift-left")


@bit.native("shift-right", 2, core=False)
def shift_right(a: Any, n: Any) -> int:
    x, y = _ints("::hot::bit/shift-right", a, n)
    if not 0 <= y <= 63:
        raise HotRuntimeError("shift-right takes a shift between 0 and 63")
    return x >> y


def _bytes(fn: str, value: Any) -> bytes:
    if type(value) is bytes:
        return value
    if type(value) is list:
        return bytes_(value)
    raise HotRuntimeError(f"{fn} expects Bytes, got {type_name(value)}")


def _order(fn: str, order: Any) -> Any:
    if order in (None, "big"):
        return "big"
    if order == "little":
        return "little"
    raise HotRuntimeError(f'{fn}: byte order must be "big" or "little"')


@data.native("to-int", 1, 2, core=False)
def to_int(value: Any, order: Any = None) -> int:
    payload = _bytes("::hot::bytes/to-int", value)
    check_int_bits(8 * len(payload), "::hot::bytes/to-int")
    return int.from_bytes(payload, _order("::hot::bytes/to-int", order))


@data.native("from-int", 2, 3, core=False)
def from_int(number: Any, size: Any, order: Any = None) -> bytes:
    n, width = _ints("::hot::bytes/from-int", number, size)
    if width < 0:
        raise HotRuntimeError(f"::hot::bytes/from-int needs a size of 0 or more bytes, got {width}")
    check_bytes(width, "::hot::bytes/from-int", "Bytes")
    try:
        return n.to_bytes(width, _order("::hot::bytes/from-int", order), signed=n < 0)
    except OverflowError:
        shown = int_text(n) if n.bit_length() < 200 else f"an Int of {int_digits(n.bit_length()):,} digits"
        raise HotRuntimeError(f"{shown} does not fit in {width} bytes") from None


@data.native("crc32", 1, core=False)
def crc32(value: Any) -> int:
    payload = value.encode() if type(value) is str else _bytes("::hot::bytes/crc32", value)
    return zlib.crc32(payload)


@data.native("get", 2, core=False)
def get(value: Any, index: Any) -> Any:
    payload = _bytes("::hot::bytes/get", value)
    position = expect_int("::hot::bytes/get", index)
    return payload[position] if 0 <= position < len(payload) else None


@data.native("to-vec", 1, core=False)
def to_vec(value: Any) -> list[int]:
    payload = _bytes("::hot::bytes/to-vec", value)
    check_size(len(payload), "::hot::bytes/to-vec")
    return list(payload)
