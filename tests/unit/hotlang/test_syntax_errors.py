"""Syntax errors: position, caret drawing and the human sentence."""

from __future__ import annotations

import pytest

from hotlang import HotSyntaxError, load_program


def syntax_error(source: str) -> HotSyntaxError:
    with pytest.raises(HotSyntaxError) as info:
        load_program({"app/x.hot": source})
    return info.value


def test_unclosed_map_names_where_it_was_opened() -> None:
    error = syntax_error('::app ns\n\nconfig {name: "x",\n  size: 3\n')
    assert "expected `}` to close the map opened at 3:8" in error.message
    assert error.file == "app/x.hot"


def test_mismatched_bracket_points_at_the_closer() -> None:
    error = syntax_error("x [1, 2)\n")
    assert (error.line, error.column) == (1, 8)
    assert "expected `]` to close the vector opened at 1:3, found `)`" in error.message


def test_format_shows_line_and_caret() -> None:
    error = syntax_error("a 1\nb add(1,, 2)\n")
    assert (error.line, error.column) == (2, 9)
    lines = error.format().splitlines()
    assert lines[0].startswith("app/x.hot:2:9: error: unexpected `,`")
    assert lines[2] == "2 | b add(1,, 2)"
    assert lines[3] == "  |         ^"


def test_illegal_characters_have_hints() -> None:
    assert "use `or(value, default)`" in syntax_error("x ?? y").message
    assert "no `=`" in syntax_error("x = 1").message
    assert "items need no separator" in syntax_error("x 1;").message


def test_unterminated_string() -> None:
    error = syntax_error('x "abc\ny 2')
    assert (error.line, error.column) == (1, 3)
    assert "never closed" in error.message


def test_int_overflow_is_a_syntax_error() -> None:
    assert "64 bits" in syntax_error("x 99999999999999999999").message


def test_stray_placeholder_says_where_it_may_go() -> None:
    assert "`%(…)`" in syntax_error("::a ns\nf fn () { add(%, 1) }\nx f()").message


def test_meta_must_be_a_literal() -> None:
    assert "meta must be a literal" in syntax_error("f meta {a: b} fn () { 1 }").message


def test_dangling_meta() -> None:
    assert "not attached" in syntax_error('meta {doc: "x"}').message


def test_template_interpolation_errors_point_into_the_template() -> None:
    error = syntax_error("t `a ${add(1,)) } b`")
    assert error.line == 1
    assert error.column > 6


def test_unexpected_end_of_file() -> None:
    error = syntax_error("f fn (x)")
    assert "end of the file" in error.message
