"""`hot dev`'s local context file (`hot/ctx.hot`) and the `hot context` CLI's own errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.devctx import DevContextError, dotenv, load_dev_context
from services.executor.context import dev_context

REPO = Path(__file__).resolve().parents[3]


def project(tmp_path: Path, ctx: str | None, env: str = "") -> Path:
    if ctx is not None:
        (tmp_path / "hot").mkdir()
        (tmp_path / "hot" / "ctx.hot").write_text(ctx)
    (tmp_path / ".env").write_text(env)
    return tmp_path


def test_no_file_is_an_empty_dev_context(tmp_path: Path) -> None:
    assert load_dev_context(project(tmp_path, None)) == {"values": {}, "secret_keys": []}


def test_the_file_fills_the_dev_context_from_dotenv(tmp_path: Path) -> None:
    source = """
::hot::ctx/set("base", "http://localhost")
::hot::ctx/set({n: 1, m: {deep: [true]}})
::hot::ctx/set-secret("api.key", ::hot::env/get("API_KEY"))
"""
    got = load_dev_context(project(tmp_path, source, "# comment\nexport API_KEY='sk-dev-1'\nOTHER=x\n"))
    assert got == {"values": {"base": "http://localhost", "n": 1, "m": {"deep": [True]}, "api.key": "sk-dev-1"},
                   "secret_keys": ["api.key"]}
    layered = {v.key: (v.value, v.secret) for v in dev_context(json.dumps(got))}
    assert layered["api.key"] == ("sk-dev-1", True) and layered["base"] == ("http://localhost", False)


def test_a_file_with_its_own_namespace_is_kept_as_is(tmp_path: Path) -> None:
    got = load_dev_context(project(tmp_path, '::my::ctx ns\nv "x"\n::hot::ctx/set("v", v)\n'))
    assert got["values"] == {"v": "x"}


@pytest.mark.parametrize("source", ['::hot::ctx/set("k", ', 'fail("no context for you")'])
def test_a_broken_file_is_a_clear_error(tmp_path: Path, source: str) -> None:
    with pytest.raises(DevContextError):
        load_dev_context(project(tmp_path, source))


def test_dotenv_strips_quotes_and_skips_comments(tmp_path: Path) -> None:
    assert dotenv(project(tmp_path, None, 'A="1"\n# B=2\n\nC = 3\nnonsense\n')) == {"A": "1", "C": "3"}


def test_dev_context_ignores_malformed_text() -> None:
    assert dev_context("") == [] and dev_context("not json") == [] and dev_context("[1]") == []


def test_the_cli_without_a_running_hot_dev_says_what_to_do(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "services.cli.main", "context", "--dev-dir", str(tmp_path), "list"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "no running hot dev found" in done.stderr and "--url and --key" in done.stderr
    done = subprocess.run([sys.executable, "-m", "services.cli.main", "ctx", "--url", "file:///etc", "--key", "k",
                           "list"], cwd=REPO, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1 and "must be an http:// or https:// URL" in done.stderr
