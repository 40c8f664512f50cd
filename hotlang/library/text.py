"""``::hot::str``: string functions."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_int, expect_str
from hotlang.library.registry import Library
from hotlang.runtime.display import to_str
from hotlang.runtime.equality import hot_eq
from hotlang.runtime.keys import map_key
from hotlang.runtime.limits import check_bytes, check_joined, check_size, check_text, current_limits, utf8_size
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
    check_size(len(source) if separator == "" else source.count(separator) + 1, "split")
    return list(source) if separator == "" else source.split(separator)


@lib.native("join", 1, 2)
def join(parts: Any, delimiter: Any = "") -> str:
    if type(parts) is not list:
        raise HotRuntimeError(f"join expects a Vec, got {type_name(parts)}")
    separator = expect_str("join", delimiter)
    texts = [to_str(part) for part in parts]
    check_joined(texts, separator, "join")
    return separator.join(texts)


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
    return check_text(expect_str("uppercase", text).upper(), "uppercase")  # "ß" → "SS": may grow


@lib.native("lowercase", 1)
def lowercase(text: Any) -> str:
    return check_text(expect_str("lowercase", text).lower(), "lowercase")


@lib.native("replace", 3)
def replace(text: Any, old: Any, new: Any) -> str:
    source, pattern, replacement = expect_str("replace", text), expect_str("replace", old), expect_str("replace", new)
    if len(replacement) > len(pattern):  # only then can the result outgrow its source
        count = source.count(pattern)  # an empty pattern matches len(source) + 1 times
        grown = len(source) + count * (len(replacement) - len(pattern))
        if grown > current_limits().max_bytes // 4:
            size = utf8_size(source) + count * (utf8_size(replacement) - utf8_size(pattern))
            check_bytes(size, "replace")
    return source.replace(pattern, replacement)


@lib.native("replace-first", 3)
def replace_first(text: Any, old: Any, new: Any) -> str:
    replaced = expect_str("replace-first", text).replace(
        expect_str("replace-first", old), expect_str("replace-first", new), 1
    )
    return check_text(replaced, "replace-first")


@lib.native("is-blank", 1)
def is_blank(text: Any) -> bool:
    return text is None or (type(text) is str and not text.strip())


def _check_pad(fn: str, text: str, width: int, fill: str) -> None:
    """Refuse, before padding, a result larger than ``max_bytes``."""
    missing = width - len(text)
    if missing > 0 and width > current_limits().max_bytes // 4:
        check_bytes(utf8_size(text) + missing * utf8_size(fill), fn)


@lib.native("pad-start", 2, 3)
def pad_start(text: Any, width: Any, pad: Any = " ") -> str:
    source, size = expect_str("pad-start", text), expect_int("pad-start", width)
    fill = expect_str("pad-start", pad)[:1] or " "
    _check_pad("pad-start", source, size, fill)
    return source.rjust(size, fill)


@lib.native("pad-end", 2, 3)
def pad_end(text: Any, width: Any, pad: Any = " ") -> str:
    source, size = expect_str("pad-end", text), expect_int("pad-end", width)
    fill = expect_str("pad-end", pad)[:1] or " "
    _check_pad("pad-end", source, size, fill)
    return source.ljust(size, fill)
