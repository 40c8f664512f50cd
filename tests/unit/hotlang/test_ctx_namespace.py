"""`::hot::ctx`: get (with default), set (key or map), set-secret and its masking hook."""

from __future__ import annotations

from typing import Any

from hotlang import load_program, to_json

SOURCE = """
::t ns

read fn () {
  [::hot::ctx/get("plain"), ::hot::ctx/get("nothing"), ::hot::ctx/get("nothing", "d"),
   ::hot::ctx/get("null-stored", "d"), ::hot::ctx/get("plain", "unused")]
}

write fn () {
  ::hot::ctx/set({a: 1, b: "two"})
  ::hot::ctx/set-secret("token", "tok-123456")
  ::hot::ctx/set("declared", "again-secret")
  ::hot::ctx/set("plain", "still-plain")
  [::hot::ctx/get("a"), ::hot::ctx/get("b"), ::hot::ctx/get("token"), ::hot::ctx/set("x", 5)]
}
"""


def test_get_reads_the_seeded_context_with_defaults() -> None:
    program = load_program({"t.hot": SOURCE})
    value = program.call("::t/read", [], ctx={"plain": "p", "null-stored": None})
    assert to_json(value) == ["p", None, "d", "d", "p"]


def test_set_and_set_secret_report_secret_values_only() -> None:
    program = load_program({"t.hot": SOURCE})
    secrets: list[Any] = []
    value = program.call("::t/write", [], ctx={"declared": "first"}, secret_keys=frozenset({"declared"}),
                         on_secret=secrets.append)
    assert to_json(value) == [1, "two", "tok-123456", 5]
    assert secrets == ["tok-123456", "again-secret"]


def test_writes_do_not_outlive_the_call() -> None:
    program = load_program({"t.hot": SOURCE})
    program.call("::t/write", [])
    assert to_json(program.call("::t/read", []))[0] is None
