"""JSON that PostgreSQL can store: the one validator for everything written to a JSONB column.

PostgreSQL's `jsonb` cannot hold a NUL character (`\\u0000`) in a string or a key, Python cannot
encode a lone surrogate (`\\ud800`) as UTF-8, JSON has no NaN or Infinity, and very deep nesting
exhausts a recursive parser (ours and the server's). Any of these inside one value used to fail
the whole statement it travelled in, so every edge where data enters storage checks it here
first: the gateway (REST bodies, 400/422), ingest (gRPC, INVALID_ARGUMENT) and the executor
(run results, which become a failed run instead of a failed batch).

Problems are reported with the JSON path of the first one found, e.g.
`event_data.items[3].name contains a NUL character (\\u0000), which cannot be stored`.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import accumulate
from typing import Any

from services.core.errors import BadRequest, Unprocessable

DEFAULT_MAX_DEPTH = 64
"""Caller JSON nested deeper than this is refused (setting `HOT_MAX_JSON_DEPTH`)."""
STORED_MAX_DEPTH = 1000
"""Values the platform writes itself (run results) may nest this deep: well within what PostgreSQL's
recursive JSON parser accepts, and far beyond what results need."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$\-]*$")
# JSON strings (the classic unrolled loop: linear, no nested quantifier to backtrack) and brackets.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}
# A NUL or a surrogate can only enter parsed text as an escape: text without one needs no walk for them.
_SUSPECT = re.compile(r"\\u0000|\\u[dD][89a-fA-F]")
_INT_DIGITS_BITS = 14_000  # below this an int always has fewer digits than Python's str(int) limit (4,300)


class JsonRejected(ValueError):
    """A JSON document or value the platform does not accept; `message` names the path."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedJson(JsonRejected):
    """The text is not JSON, or is nested deeper than the cap (a 400 / INVALID_ARGUMENT)."""


class UnstorableJson(JsonRejected):
    """Well-formed JSON holding something PostgreSQL cannot store (a 422 / INVALID_ARGUMENT)."""


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=True)}]"


def _where(path: str) -> str:
    return path or "the value"


def string_problem(text: str) -> str | None:
    """Why `text` cannot be stored (a NUL character, a lone surrogate), or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    found = _LONE_SURROGATE.search(text)
    if found is not None:
        return (f"contains a lone surrogate (\\u{ord(found.group()):04x}), which is not valid Unicode "
                "and cannot be stored")
    return None


def _printable(number: int) -> bool:
    try:
        str(number)
    except ValueError:  # over sys.get_int_max_str_digits()
        return False
    return True


def find_problem(value: Any, *, root: str = "", max_depth: int = DEFAULT_MAX_DEPTH) -> str | None:
    """The first reason `value` (plain JSON data; tuples count as arrays) cannot be stored, with its
    path; None when it can.

    Walks iteratively, so a value nested far deeper than any cap is reported, never a RecursionError."""
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        item, path, depth = stack.pop()
        kind = type(item)
        if kind is str:
            problem = string_problem(item)
            if problem is not None:
                return f"{_where(path)} {problem}"
        elif kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                return f"{_where(path)} is {item!r} (NaN or Infinity), which JSON cannot represent"
        elif kind is int:
            if item.bit_length() > _INT_DIGITS_BITS and not _printable(item):
                return (f"{_where(path)} is an integer of more than {sys.get_int_max_str_digits()} digits, "
                        "which cannot be stored")
        elif kind is bool or item is None:
            continue
        elif kind is dict or kind is list or kind is tuple:
            if depth >= max_depth:
                return f"{_where(path)} is nested deeper than {max_depth} levels"
            if kind is dict:
                children = []
                for key, child in item.items():
                    if type(key) is not str:
                        return f"{_where(path)} has a key that is not a string ({type(key).__name__})"
                    problem = string_problem(key)
                    if problem is not None:
                        return f"{_where(path)} has a key that {problem}"
                    children.append((child, _child(path, key), depth + 1))
                stack.extend(reversed(children))  # report the first problem in document order
            else:
                stack.extend((child, _child(path, index), depth + 1)
                             for index, child in reversed(list(enumerate(item))))
        else:
            return f"{_where(path)} is a {kind.__name__}, which is not a JSON value"
    return None


def check(value: Any, *, root: str = "", max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Raise `UnstorableJson` naming the first problem of `value` (see `find_problem`)."""
    problem = find_problem(value, root=root, max_depth=max_depth)
    if problem is not None:
        raise UnstorableJson(problem)


def nesting_depth(text: str) -> int:
    """How deeply brackets nest in JSON `text`, outside strings (an upper bound for malformed text)."""
    if text.count("[") + text.count("{") == 0:
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING.sub('""', text))
    return max(0, max(accumulate(map(_NESTING.__getitem__, brackets)), default=0))


def loads(data: str | bytes, *, root: str = "", max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse JSON text with a depth cap and check what it holds.

    Raises `MalformedJson` for text that is not UTF-8 JSON or nests deeper than `max_depth`
    (checked before parsing, so no recursion happens), `UnstorableJson` for NUL, lone
    surrogates, NaN / Infinity (including numbers too large for a double) and oversized integers."""
    what = root or "the JSON document"
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"{what} is not valid UTF-8: {exc.reason} at byte {exc.start}") from None
    else:
        text = data
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise MalformedJson(f"{what} is nested deeper than {max_depth} levels (HOT_MAX_JSON_DEPTH)")
    non_finite: list[str] = []

    def number(raw: str) -> float:
        parsed = float(raw)
        if parsed in (float("inf"), float("-inf")):  # `1e999`, or 400 digits: too large for a double
            non_finite.append(raw)
        return parsed

    def constant(raw: str) -> float:  # NaN, Infinity, -Infinity: not JSON, but Python reads them
        non_finite.append(raw)
        return float(raw)

    try:
        value = json.loads(text, parse_float=number, parse_constant=constant)
    except RecursionError:  # unreachable after the depth check; kept so no input can escape as one
        raise MalformedJson(f"{what} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and int() refusing more than sys.get_int_max_str_digits()
        raise MalformedJson(f"{what} is not valid JSON: {exc}") from None
    if non_finite or _SUSPECT.search(text) is not None:  # the walk is authoritative; most texts need none
        check(value, root=root, max_depth=max_depth)
    return value


def checked_text(raw: str, what: str, max_length: int, *,
                 error: type[BadRequest | Unprocessable] = BadRequest) -> str:
    """`raw` when it is at most `max_length` characters and storable (no NUL, no lone surrogate);
    otherwise `error` (400 by default, 422 / INVALID_ARGUMENT for content) naming `what`."""
    if len(raw) > max_length:
        raise error(f"{what} is longer than {max_length} characters")
    problem = string_problem(raw)
    if problem is not None:
        raise error(f"{what} {problem}")
    return raw
