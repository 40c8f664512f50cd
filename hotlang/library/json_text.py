"""``::hot::json``: ``to-json`` and ``from-json`` (exact Dec digits; tags as ``$type``/``$val``)."""

from __future__ import annotations

from typing import Any

from hotlang.library.checks import expect_str
from hotlang.library.registry import Library
from hotlang.runtime.json_codec import dumps, loads

lib = Library("::hot::json")


@lib.native("to-json", 1)
def to_json(value: Any) -> str:
    return dumps(value)


@lib.native("from-json", 1)
def from_json(text: Any) -> Any:
    return loads(expect_str("from-json", text))
