"""``::hot::math``: Int/Dec arithmetic (spec §3.8)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import Number, expect_number, is_number
from hotlang.library.registry import Library
from hotlang.runtime.values import DEC, Tagged, err, type_name

lib = Library("::hot::math")


def _operands(fn: str, left: Any, right: Any) -> tuple[Number, Number]:
    if not (is_number(left) and is_number(right)):
        raise HotRuntimeError(f"{fn} expects numbers, got {type_name(left)} and {type_name(right)}")
    return left, right


def _dec(value: Number) -> Decimal:
    return value if type(value) is Decimal else Decimal(value)


@lib.native("add", 2)
def add(left: Any, right: Any) -> Number:
    if type(left) is int and type(right) is int:
        return left + right  # type: ignore[no-any-return]
    a, b = _operands("add", left, right)
    return DEC.add(_dec(a), _dec(b))


@lib.native("sub", 2)
def sub(left: Any, right: Any) -> Number:
    if type(left) is int and type(right) is int:
        return left - right  # type: ignore[no-any-return]
    a, b = _operands("sub", left, right)
    return DEC.subtract(_dec(a), _dec(b))


@lib.native("mul", 2)
def mul(left: Any, right: Any) -> Number:
    if type(left) is int and type(right) is int:
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
        return int(a**b)
    if type(b) is int:
        return DEC.power(_dec(a), b)
    return DEC.power(_dec(a), _dec(b))


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
    return int(_dec(number).to_integral_value(rounding=rounding))


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
    return value if type(value) is int else int(_dec(value).to_integral_value(rounding=ROUND_DOWN))


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
