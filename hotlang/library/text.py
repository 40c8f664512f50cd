"""``::hot::str``: string functions."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_int, expect_str
from hotlang.library.registry import Library
from hotlang.runtime.display import to_str
from hotlang.runtime.equality import hot_eq
from hotlang.runtime.keys import map_key
from hotlang.runtime.limits import check_size
from hotlang.runtime.values import type_name

lib = Library("::hot::str")


@lib.native("starts-with", 2)
def starts_with(text: Any, prefix: Any) -> bool:
    return expect_str("starts-with", text).startswith(expect_str("starts-with", prefix))


@lib.native("ends-with", 2)
def ends_with(text: Any, suffix: Any) -> bool:
    return expect_str("ends-with", text).endswith(expect_str("ends-with", suffix))


@lib.native("contains", 2)
def contains(haystack: Any, needle: Any) -> bool:
    if type(haystack) is str:
        return expect_str("contains", needle) in haystack
    if type(haystack) is list:
        return any(hot_eq(item, needle) for item in haystack)
    if type(haystack) is dict:
        return map_key(needle) in haystack
    if haystack is None:
        return False
    raise HotRuntimeError(f"contains expects a Str, Vec or Map, got {type_name(haystack)}")


@lib.native("split", 2)
def split(text: Any, delimiter: Any) -> list[str]:
    source, separator = expect_str("split", text), expect_str("split", delimiter)
    return list(source) if separator == "" else source.split(separator)


@lib.native("join", 1, 2)
def join(parts: Any, delimiter: Any = "") -> str:
    if type(parts) is not list:
        raise HotRuntimeError(f"join expects a Vec, got {type_name(parts)}")
    text = expect_str("join", delimiter).join(to_str(part) for part in parts)
    check_size(len(text), "join")
    return text


@lib.native("trim", 1)
def trim(text: Any) -> str:
    return expect_str("trim", text).strip()


@lib.native("trim-start", 1)
def trim_start(text: Any) -> str:
    return expect_str("trim-start", text).lstrip()


@lib.native("trim-end", 1)
def trim_end(text: Any) -> str:
    return expect_str("trim-end", text).rstrip()


@lib.native("uppercase", 1)
def uppercase(text: Any) -> str:
    return expect_str("uppercase", text).upper()


@lib.native("lowercase", 1)
def lowercase(text: Any) -> str:
    return expect_str("lowercase", text).lower()


@lib.native("replace", 3)
def replace(text: Any, old: Any, new: Any) -> str:
    return expect_str("replace", text).replace(expect_str("replace", old), expect_str("replace", new))


@lib.native("replace-first", 3)
def replace_first(text: Any, old: Any, new: Any) -> str:
    return expect_str("replace-first", text).replace(
        expect_str("replace-first", old), expect_str("replace-first", new), 1
    )


@lib.native("is-blank", 1)
def is_blank(text: Any) -> bool:
    return text is None or (type(text) is str and not text.strip())


@lib.native("pad-start", 2, 3)
def pad_start(text: Any, width: Any, pad: Any = " ") -> str:
    check_size(expect_int("pad-start", width), "pad-start")
    return expect_str("pad-start", text).rjust(int(width), expect_str("pad-start", pad)[:1] or " ")


@lib.native("pad-end", 2, 3)
def pad_end(text: Any, width: Any, pad: Any = " ") -> str:
    check_size(expect_int("pad-end", width), "pad-end")
    return expect_str("pad-end", text).ljust(int(width), expect_str("pad-end", pad)[:1] or " ")
