"""``::hot::math``: Int/Dec arithmetic (spec §3.8).

Every Int result is held to ``max_int_digits``: ``mul`` and ``pow`` estimate the result's size
from the operands' bit lengths and refuse before multiplying (a 10^9-digit ``pow`` is refused in
microseconds); ``add``/``sub`` grow by one bit at most, so their result is checked after.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import Number, expect_number, is_number
from hotlang.library.registry import Library
from hotlang.runtime.limits import check_int, check_int_bits, check_int_digits
from hotlang.runtime.values import DEC, Tagged, err, type_name

lib = Library("::hot::math")

_SMALL = 1 << 62
"""Operands below this in size cannot make an Int anywhere near the digit cap: no check needed."""


def _operands(fn: str, left: Any, right: Any) -> tuple[Number, Number]:
    if not (is_number(left) and is_number(right)):
        raise HotRuntimeError(f"{fn} expects numbers, got {type_name(left)} and {type_name(right)}")
    return left, right


def _dec(value: Number) -> Decimal:
    return value if type(value) is Decimal else Decimal(value)


@lib.native("add", 2)
def add(left: Any, right: Any) -> Number:
    if type(left) is int and type(right) is int:
        total: int = left + right
        return total if -_SMALL < total < _SMALL else check_int(total, "add")
    a, b = _operands("add", left, right)
    return DEC.add(_dec(a), _dec(b))


@lib.native("sub", 2)
def sub(left: Any, right: Any) -> Number:
    if type(left) is int and type(right) is int:
        difference: int = left - right
        return difference if -_SMALL < difference < _SMALL else check_int(difference, "sub")
    a, b = _operands("sub", left, right)
    return DEC.subtract(_dec(a), _dec(b))


@lib.native("mul", 2)
def mul(left: Any, right: Any) -> Number:
    if type(left) is int and type(right) is int:
        if not (-_SMALL < left < _SMALL and -_SMALL < right < _SMALL):
            check_int_bits(left.bit_length() + right.bit_length(), "mul")
        return left * right  # type: ignore[no-any-return]
    a, b = _operands("mul", left, right)
    return DEC.multiply(_dec(a), _dec(b))


@lib.native("div", 2)
def div(left: Any, right: Any) -> Number | Tagged:
    a, b = _operands("div", left, right)
    if b == 0:
        return err("Division by zero")
    if type(a) is int and type(b) is int:
        if a % b == 0:
            return a // b
        return DEC.divide(Decimal(a), Decimal(b))
    return DEC.divide(_dec(a), _dec(b))


@lib.native("mod", 2)
def mod(left: Any, right: Any) -> Number | Tagged:
    a, b = _operands("mod", left, right)
    if b == 0:
        return err("Modulo by zero")
    if type(a) is int and type(b) is int:
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    da, db = _dec(a), _dec(b)
    quotient = DEC.divide(da, db).to_integral_value(rounding=ROUND_FLOOR)
    return DEC.subtract(da, DEC.multiply(quotient, db))


@lib.native("pow", 2)
def pow_(base: Any, exponent: Any) -> Number:
    a, b = _operands("pow", base, exponent)
    if type(a) is int and type(b) is int and b >= 0:
        if b > 1 and a not in (-1, 0, 1):
            check_int_digits(pow_digits(a, b), "pow")
        return int(a**b)
    if type(b) is int:
        return DEC.power(_dec(a), b)
    return DEC.power(_dec(a), _dec(b))


def pow_digits(base: int, exponent: int) -> int:
    """Decimal digits of ``base ** exponent`` (|base| ≥ 2), estimated in Int arithmetic so it never overflows."""
    micro_digits = round(math.log10(abs(base)) * 1_000_000)
    return exponent * micro_digits // 1_000_000 + 1


@lib.native("abs", 1)
def abs_(value: Any) -> Number:
    number = expect_number("abs", value)
    return -number if number < 0 else number


@lib.native("max", 2)
def max_(left: Any, right: Any) -> Number:
    a, b = _operands("max", left, right)
    return b if b > a else a


@lib.native("min", 2)
def min_(left: Any, right: Any) -> Number:
    a, b = _operands("min", left, right)
    return b if b < a else a


def _to_int(fn: str, value: Any, rounding: str) -> int:
    number = expect_number(fn, value)
    if type(number) is int:
        return number
    return _dec_to_int(fn, _dec(number), rounding)


def _dec_to_int(fn: str, value: Decimal, rounding: str) -> int:
    """The Int of a Dec, refusing one whose digits (``1E+999999`` has a million) pass ``max_int_digits``."""
    if not value.is_finite():
        raise HotRuntimeError(f"{fn} cannot convert {value} to an Int")
    if value.adjusted() >= 0:
        check_int_digits(value.adjusted() + 1, fn)
    return int(value.to_integral_value(rounding=rounding))


@lib.native("round", 1)
def round_(value: Any) -> int:
    return _to_int("round", value, ROUND_HALF_UP)


@lib.native("floor", 1)
def floor(value: Any) -> int:
    return _to_int("floor", value, ROUND_FLOOR)


@lib.native("ceil", 1)
def ceil(value: Any) -> int:
    return _to_int("ceil", value, ROUND_CEILING)


def truncate(value: Number) -> int:
    """``Int(dec)``: toward zero."""
    return value if type(value) is int else _dec_to_int("Int", _dec(value), ROUND_DOWN)


@lib.native("is-zero", 1)
def is_zero(value: Any) -> bool:
    return bool(expect_number("is-zero", value) == 0)


@lib.native("is-pos", 1)
def is_pos(value: Any) -> bool:
    return bool(expect_number("is-pos", value) > 0)


@lib.native("is-neg", 1)
def is_neg(value: Any) -> bool:
    return bool(expect_number("is-neg", value) < 0)


@lib.native("sqrt", 1, core=False)
def sqrt(value: Any) -> Decimal:
    number = expect_number("sqrt", value)
    if number < 0:
        raise HotRuntimeError(f"sqrt of a negative number ({number})")
    return DEC.sqrt(_dec(number))
