"""The `hot` console script hands language commands to hotlang and rejects unknown ones."""

import subprocess
import sys
from pathlib import Path

import pytest


def _hot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)


def test_hot_run_prints_the_value(tmp_path: Path) -> None:
    (tmp_path / "calc.hot").write_text('::calc ns\n\ndouble fn (n: Int): Int {\n  mul(n, 2)\n}\n\n'
                                       'double(21)\n')
    result = _hot("run", str(tmp_path / "calc.hot"), cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_hot_run_reports_syntax_errors_with_position(tmp_path: Path) -> None:
    (tmp_path / "bad.hot").write_text("::bad ns\n\nx {a: 1\n")
    result = _hot("run", str(tmp_path / "bad.hot"), cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert "bad.hot:" in result.stderr and "^" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["bogus"], []])
def test_unknown_commands_are_usage_errors(args: list[str], tmp_path: Path) -> None:
    result = _hot(*args, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert "usage: hot" in result.stderr
