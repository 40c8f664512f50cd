"""``::hot::type``: conversions, type tests and Results (spec §3.6, §3.9, §3.10)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from hotlang.errors import HotCancelled, HotRuntimeError
from hotlang.library.arithmetic import truncate
from hotlang.library.registry import Library
from hotlang.runtime.display import to_str
from hotlang.runtime.functions import call_value
from hotlang.runtime.keys import map_key, map_pairs
from hotlang.runtime.limits import check_size
from hotlang.runtime.numbers import parse_int
from hotlang.runtime.results import consume, force_suppressed
from hotlang.runtime.run import current_run
from hotlang.runtime.typevalues import (
    BUILTIN,
    EnumType,
    StructType,
    TypeAliasValue,
    path_matches,
    type_path_of,
    value_type_path,
)
from hotlang.runtime.values import DEC, FunctionValue, Tagged, err, force, ok, type_name

lib = Library("::hot::type")


def _via_arrow(value: Any, target: str) -> tuple[bool, Any]:
    """Apply a program's ``T -> Str``/``Int``/… arrow to a tagged value (spec §3.9 point 5)."""
    arrows = current_run().arrows
    if arrows is None or type(value) is not Tagged:
        return False, value
    return arrows.convert(value, BUILTIN + target)  # type: ignore[no-any-return]


@lib.native("Str", 0, 1)
def str_(value: Any = None) -> str:
    return to_str(value)


@lib.native("Int", 1)
def int_(value: Any) -> int:
    converted, value = _via_arrow(value, "Int")
    if converted:
        return int_(consume(value))
    if type(value) is Tagged:
        value = value.payload
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is Decimal:
        return truncate(value)
    if kind is bool:
        return 1 if value else 0
    if kind is str:
        try:
            return parse_int(value.strip(), "Int")
        except ValueError:
            shown = repr(value) if len(value) <= 60 else repr(value[:60]) + "…"
            raise HotRuntimeError(f"Int cannot read {shown} as an integer") from None
    raise HotRuntimeError(f"Int cannot convert a {type_name(value)}")


@lib.native("Dec", 1)
def dec(value: Any) -> Decimal:
    converted, value = _via_arrow(value, "Dec")
    if converted:
        return dec(consume(value))
    if type(value) is Tagged:
        value = value.payload
    kind = type(value)
    if kind is Decimal:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return Decimal(value)
    if kind is str:
        try:
            parsed = DEC.create_decimal(value.strip())
        except InvalidOperation:
            raise HotRuntimeError(f"Dec cannot read {value!r} as a decimal") from None
        if not parsed.is_finite():
            raise HotRuntimeError(f"Dec cannot read {value!r} as a decimal")
        return parsed
    raise HotRuntimeError(f"Dec cannot convert a {type_name(value)}")


@lib.native("Vec", 0, None)
def vec(*values: Any) -> list[Any]:
    if len(values) == 1:
        value = values[0]
        if type(value) is list:
            return list(value)
        if type(value) is str:
            check_size(len(value), "Vec")
            return list(value)
        if type(value) is dict:
            return map_pairs(value)
    return list(values)


@lib.native("Map", 0, None)
def map_(*values: Any) -> dict[Any, Any]:
    if len(values) == 1 and type(values[0]) is dict:
        return dict(values[0])
    if len(values) == 1 and type(values[0]) is list:
        return {map_key(pair[0]): pair[1] for pair in values[0]}
    if len(values) % 2:
        raise HotRuntimeError("Map expects key/value pairs")
    return {map_key(values[i]): values[i + 1] for i in range(0, len(values), 2)}


@lib.native("Any", 1)
def any_(value: Any) -> Any:
    return value


def _is(kind: type) -> Any:
    return lambda value: type(value) is kind


for _name, _kind in (
    ("is-str", str),
    ("is-int", int),
    ("is-dec", Decimal),
    ("is-bool", bool),
    ("is-vec", list),
    ("is-map", dict),
    ("is-bytes", bytes),
):
    lib.native(_name, 1)(_is(_kind))


@lib.native("is-null", 1)
def is_null(value: Any) -> bool:
    return value is None


@lib.native("is-some", 1)
def is_some(value: Any) -> bool:
    return value is not None


@lib.native("is-fn", 1)
def is_fn(value: Any) -> bool:
    return isinstance(value, FunctionValue)


@lib.native("type-of", 1)
def type_of(value: Any) -> str:
    return type_name(value)


@lib.native("untype", 1)
def untype(value: Any) -> Any:
    if type(value) is Tagged:
        return untype(value.payload)
    if type(value) is list:
        return [untype(item) for item in value]
    if type(value) is dict:
        return {key: untype(item) for key, item in value.items()}
    return value


# -- Results ------------------------------------------------------------------------

RESULT = EnumType(BUILTIN + "Result")
RESULT.add_payload("Ok", None)
RESULT.add_payload("Err", None)
lib.value("Result", RESULT)

ON_ERR = EnumType(BUILTIN + "OnErr")
ON_ERR.add_unit("Force")
ON_ERR.add_unit("Preserve")
lib.value("OnErr", ON_ERR)
lib.value("All", StructType(BUILTIN + "All", (), nominal=True))
lib.value("Null", TypeAliasValue(BUILTIN + "Null"))
lib.value("Fn", TypeAliasValue(BUILTIN + "Fn"))


@lib.native("is-type", 2, lazy=(0,))
def is_type(value: Any, type_value: Any) -> bool:
    """Type-path test (spec §3.9 point 6); the value is forced with Err halting off."""
    forced, halt = force_suppressed(value)
    if halt is not None:
        forced = err(halt.message)
    type_value = force(type_value)
    path = type_path_of(type_value)
    if path is None:
        raise HotRuntimeError(f"is-type expects a type as its second argument, got {type_name(type_value)}")
    return path_matches(value_type_path(forced), path)


@lib.native("ok", 1)
def ok_(value: Any) -> Tagged:
    return ok(value)


@lib.native("err", 1)
def err_(value: Any) -> Tagged:
    return err(value)


def _inspect(value: Any) -> tuple[Any, HotRuntimeError | None]:
    result, halt = force_suppressed(value)
    if isinstance(halt, HotCancelled):
        raise halt
    return result, halt


@lib.native("is-ok", 1, lazy=(0,))
def is_ok(value: Any) -> bool:
    result, halt = _inspect(value)
    return halt is None and not (type(result) is Tagged and result.kind == 2)


@lib.native("is-err", 1, lazy=(0,))
def is_err(value: Any) -> bool:
    result, halt = _inspect(value)
    return halt is not None or (type(result) is Tagged and result.kind == 2)


@lib.native("is-result", 1, lazy=(0,))
def is_result(value: Any) -> bool:
    result, halt = _inspect(value)
    return halt is None and type(result) is Tagged and result.kind in (1, 2)


@lib.native("ok-value", 1, lazy=(0,))
def ok_value(value: Any) -> Any:
    result, halt = _inspect(value)
    if halt is not None or (type(result) is Tagged and result.kind == 2):
        return None
    return result.payload if type(result) is Tagged and result.kind == 1 else result


@lib.native("err-value", 1, lazy=(0,))
def err_value(value: Any) -> Any:
    result, halt = _inspect(value)
    if halt is not None:
        return halt.data if halt.data is not None else halt.message
    return result.payload if type(result) is Tagged and result.kind == 2 else None


def _halt_as_err(halt: HotRuntimeError) -> Tagged:
    return err(halt.data if halt.data is not None else halt.message)


@lib.native("if-ok", 2, lazy=(0,))
def if_ok(value: Any, handler: Any) -> Any:
    result, halt = _inspect(value)
    if halt is not None:
        return _halt_as_err(halt)
    if type(result) is Tagged and result.kind == 2:
        return result
    payload = result.payload if type(result) is Tagged and result.kind == 1 else result
    return call_value(handler, [payload]) if isinstance(handler, FunctionValue) else handler


@lib.native("if-err", 2, lazy=(0,))
def if_err(value: Any, handler: Any) -> Any:
    result, halt = _inspect(value)
    if halt is not None:
        result = _halt_as_err(halt)
    if type(result) is Tagged and result.kind == 2:
        return call_value(handler, [result.payload]) if isinstance(handler, FunctionValue) else handler
    return result


@lib.native("err-message", 1, lazy=(0,))
def err_message(value: Any) -> Any:
    result, halt = _inspect(value)
    if halt is not None:
        return halt.message
    payload = result.payload if type(result) is Tagged and result.kind == 2 else result
    if type(payload) is str:
        return payload
    if type(payload) is dict:
        for key in ("message", "msg", "reason"):
            if key in payload:
                return payload[key]
    return to_str(payload)
