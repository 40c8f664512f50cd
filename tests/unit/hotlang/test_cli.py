"""``hot run FILE``: output, exit codes and error reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotlang.tools.cli import main


def write(tmp_path: Path, source: str) -> str:
    path = tmp_path / "prog.hot"
    path.write_text(source, encoding="utf-8")
    return str(path)


def test_prints_the_last_expression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", write(tmp_path, "x 2\n[x, mul(x, 2.5), null]")]) == 0
    assert capsys.readouterr().out == "[2, 5.0, null]\n"


def test_calls_main_with_string_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '::demo ns\nmain fn (a, b) { concat(a, "+", b) }')
    assert main(["run", path, "1", "2"]) == 0
    assert capsys.readouterr().out == "1+2\n"


def test_syntax_error_exit_code_and_caret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", write(tmp_path, "x {a: 1\n")]) == 2
    err = capsys.readouterr().err
    assert "error: expected `}` to close the map opened at 1:3" in err
    assert "^" in err


def test_runtime_error_exit_code_and_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, 'f fn () { fail("boom") }\nf()')
    assert main(["run", path]) == 1
    err = capsys.readouterr().err
    assert "error: boom" in err
    assert "prog.hot:1:11" in err


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
