"""``hot test`` and ``hot check``: discovery, counting, reports and exit codes (spec §6.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotlang.tools.cli import main

TESTS = """::demo ns

adds meta ["test"] fn () {
  assert-eq(3, add(1, 2))
}

keeps-going meta {test: true} fn () {
  assert-eq(4, add(1, 2), "sum")
  println("noise")
  assert(false, "second")
}

halts meta "test" fn () { add("a", 1) }

returns-err meta ["test"] fn () { err("bad") }

helper fn () { 1 }
"""


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


def test_counts_failures_reports_them_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "demo.hot", TESTS)
    assert main(["test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == "1 passed, 3 failed"
    assert "✗ sum: expected 4, got 3" in out and "✗ second" in out  # the test kept going
    assert "add expects numbers, got Str and Int" in out and "returned an Err: bad" in out
    assert "noise" not in out  # test output is captured


def test_pattern_selects_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "demo.hot", TESTS)
    assert main(["test", "-k", "adds", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("1 passed, 0 failed")


def test_no_tests_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "none.hot", "::none ns\nf fn () { 1 }\n")
    assert main(["test", str(tmp_path)]) == 3


def test_a_syntax_error_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "bad.hot", "x {a: 1\n")
    assert main(["test", str(tmp_path)]) == 1
    assert "expected `}`" in capsys.readouterr().err


def test_hostile_test_is_stopped_by_the_time_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "loop.hot", '::loop ns\nspin meta ["test"] fn () { spin() }\n')
    assert main(["test", "--timeout", "0.5", str(tmp_path)]) == 1
    assert "time limit" in capsys.readouterr().out


def test_check_reports_every_error_with_its_position(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.hot", "::x ns\nf fn (a) { add(a, missing) }\ng fn () { ::nope/h(1) }\n")
    write(tmp_path, "b.hot", "y {a: 1\n")
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "a.hot:2:19: error: `missing` is not defined" in err
    assert "a.hot:3:11: error: namespace `::nope` is not defined" in err
    assert "b.hot" in err and "expected `}`" in err


def test_check_accepts_locals_lambdas_and_match_bindings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (
        "::ok ns\nT enum {A}\n"
        "f fn (x) { y add(x, 1) g (z) { mul(z, y) } match x { Int (n) => g(n) T.A => 0 _ => ns } }\n"
        "h fn () { map([1], add(%, 1)) }\n"
    )
    write(tmp_path, "ok.hot", source)
    assert main(["check", str(tmp_path)]) == 0, capsys.readouterr().err
