"""Conversion between Hot values and JSON (one place for both directions).

Two flavours exist because they serve different readers:

* :func:`to_json` / :func:`from_json` convert to and from *plain Python JSON
  data* for the platform (event payloads, run results, call arguments).
  A Dec becomes a ``float`` (``99.99`` → ``99.99``, ``5.0`` → ``5.0``): JSON
  numbers are doubles for nearly every consumer, so digits beyond ~17
  significant ones are rounded. A float coming in becomes the Dec with the
  shortest digits that round-trip (``Decimal(repr(f))``), so ``99.99`` stays
  exactly ``99.99``.
* :func:`dumps` / :func:`loads` implement Hot's ``to-json``/``from-json``: the
  JSON *text* keeps every digit of a Dec and reads numbers with a fraction
  back as exact Decs.

Tagged values travel as ``{"$type": path, "$val": payload}`` in both, out of Hot.
Into Hot, :func:`from_json` restores them (for data Hot itself wrote), while
:func:`from_plain_json` never does: it is how caller JSON (event data, call and
schedule arguments) enters a run, so a ``$type`` map stays a map and no value is
forged without its constructor (docs/decisions/0019).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from hotlang.errors import HotLimitExceeded, HotRuntimeError
from hotlang.runtime.display import to_str
from hotlang.runtime.keys import hot_key
from hotlang.runtime.limits import check_text, current_limits
from hotlang.runtime.numbers import int_text, parse_int
from hotlang.runtime.values import FunctionValue, HotIter, Tagged, Thunk


class _Walk:
    """How many more values one conversion may write: ``max_items`` in all, counting a Vec shared
    by reference once per place it appears (that is how often the JSON repeats it)."""

    __slots__ = ("left", "what")

    def __init__(self, what: str) -> None:
        self.left = current_limits().max_items
        self.what = what

    def take(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            limit = current_limits().max_items
            raise HotLimitExceeded(
                f"{self.what} would write more than the limit of {limit:,} values (max_items)", limit="max_items"
            )


def to_json(value: Any) -> Any:
    """Convert a Hot value to JSON-serialisable Python (Dec → float; tags → ``$type``/``$val``)."""
    return _plain(value, _Walk("converting the value to JSON"))


def _plain(value: Any, walk: _Walk) -> Any:
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return value
    if kind is Decimal:
        return float(value)
    if kind is list:
        walk.take(len(value))
        return [_plain(item, walk) for item in value]
    if kind is dict:
        walk.take(len(value))
        return {str(key): _plain(item, walk) for key, item in value.items()}
    if kind is Tagged:
        if not value.has_payload:
            return {"$type": value.type_path}
        return {"$type": value.type_path, "$val": _plain(value.payload, walk)}
    if kind is bytes:
        return list(value)
    if isinstance(value, FunctionValue):
        return {"$type": "::hot::type/Fn", "$val": value.name}
    if kind is Thunk:
        return _plain(value.force(), walk)
    if kind is HotIter:
        return {"$type": "::hot::iter/Iter"}
    raise HotRuntimeError(f"cannot convert a value of Python type {kind.__name__} to JSON")


def from_json(value: Any, *, typed: bool = True) -> Any:
    """Convert plain JSON data to a Hot value (float → exact Dec; ``$type`` maps → tagged).

    ``typed=False`` (:func:`from_plain_json`) trusts no type markers: a ``{"$type": …}`` object
    stays a two-key map."""
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return value
    if kind is float:
        return Decimal(repr(value))
    if kind is Decimal:
        return value
    if kind is list or kind is tuple:
        return [from_json(item, typed=typed) for item in value]
    if kind is dict:
        if typed and "$type" in value and set(value) <= {"$type", "$val"} and isinstance(value["$type"], str):
            if "$val" in value:
                return Tagged(value["$type"], from_json(value["$val"]))
            return Tagged(value["$type"], None, has_payload=False)
        return {str(key): from_json(item, typed=typed) for key, item in value.items()}
    raise HotRuntimeError(f"cannot use a value of Python type {kind.__name__} as a Hot value")


def from_plain_json(value: Any) -> Any:
    """Convert caller JSON data to a Hot value *without* trusting type markers (event data, call and
    schedule arguments: decision 0019)."""
    return from_json(value, typed=False)


_BIG_INT = 1 << 13_000
"""Ints at least this large (~3,900 digits) are written through Decimal."""


_MARK = "\ue000"
_DEC_MARKER = re.compile(f'"{_MARK}(\\d+){_MARK}"')


def _encodable(value: Any, decimals: list[Decimal], walk: _Walk) -> Any:
    """Like :func:`to_json`, but Decs become numbered marker strings :func:`dumps` swaps for their digits."""
    kind = type(value)
    if kind is int and not -_BIG_INT < value < _BIG_INT:
        decimals.append(Decimal(value))  # past Python's 4,300-digit text limit: written like a Dec
        return f"{_MARK}{len(decimals) - 1}{_MARK}"
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is Decimal:
        decimals.append(value)
        return f"{_MARK}{len(decimals) - 1}{_MARK}"
    if kind is list:
        walk.take(len(value))
        return [_encodable(item, decimals, walk) for item in value]
    if kind is dict:
        walk.take(len(value))
        return {
            key if type(key) is str else to_str(hot_key(key)): _encodable(item, decimals, walk)
            for key, item in value.items()
        }
    if kind is Tagged:
        if not value.has_payload:
            return {"$type": value.type_path}
        return {"$type": value.type_path, "$val": _encodable(value.payload, decimals, walk)}
    return to_json(value)


def _write(value: Any, out: list[str]) -> None:
    """The slow writer, used when a string already contains the Dec marker character."""
    kind = type(value)
    if kind is Decimal:
        out.append(format(value, "f"))
    elif kind is list:
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif kind is dict:
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(key if type(key) is str else to_str(hot_key(key)), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif kind is Tagged:
        _write(to_json(value) if not value.has_payload else {"$type": value.type_path, "$val": value.payload}, out)
    elif kind is int:
        out.append(int_text(value))
    elif kind in (str, bool) or value is None:
        out.append(json.dumps(value, ensure_ascii=False))
    else:
        _write(to_json(value), out)


def dumps(value: Any) -> str:
    """Hot's ``to-json``: compact JSON text, exact Dec digits, tags as ``$type``/``$val``."""
    decimals: list[Decimal] = []
    data = _encodable(value, decimals, _Walk("to-json"))
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if not decimals:
        return check_text(text, "to-json")
    if text.count(_MARK) != 2 * len(decimals):
        out: list[str] = []
        _write(value, out)
        return check_text("".join(out), "to-json")
    return check_text(_DEC_MARKER.sub(lambda match: format(decimals[int(match.group(1))], "f"), text), "to-json")


def _object(pairs: dict[str, Any]) -> Any:
    if "$type" in pairs and len(pairs) <= 2 and isinstance(pairs["$type"], str):
        if len(pairs) == 1:
            return Tagged(pairs["$type"], None, has_payload=False)
        if "$val" in pairs:
            return Tagged(pairs["$type"], pairs["$val"])
    return pairs


def _parse_int(text: str) -> int:
    return parse_int(text, "from-json")


def loads(text: str) -> Any:
    """Hot's ``from-json``: numbers with a fraction become exact Decs; tags are restored."""
    try:
        return json.loads(text, parse_float=Decimal, parse_int=_parse_int, object_hook=_object)
    except json.JSONDecodeError as error:
        raise HotRuntimeError(
            f"from-json: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
