"""Random input never makes the loader raise anything but a HotError."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotlang import HotRuntimeError, HotSyntaxError, load_program

FRAGMENTS = [
    "x",
    "f",
    "fn",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    ".",
    "...",
    "=>",
    "|>",
    "meta",
    "ns",
    "::a",
    "::a::b/c",
    "cond",
    "do",
    "lazy",
    "1",
    "-2",
    "3.5",
    '"s"',
    "`t ${x}`",
    "true",
    "null",
    "_",
    " ",
    "\n",
    "add(1, 2)",
    "//c\n",
    "%",
    "?",
    "|",
    "<",
    ">",
    "type",
    "match",
    '"',
    "`",
    "${",
]


def check(source: str) -> None:
    with contextlib.suppress(HotSyntaxError, HotRuntimeError):
        load_program({"fuzz.hot": source})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_random_text(source: str) -> None:
    check(source)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_random_token_soup(parts: list[str]) -> None:
    check(" ".join(parts))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_random_token_soup_without_spaces(parts: list[str]) -> None:
    check("".join(parts))
