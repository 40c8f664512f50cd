"""Runs the ``.hot`` conformance suite (one file per spec section) through ``hot test``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotlang.tools.cli import main

SUITE = Path(__file__).parent / "conformance"


def test_the_conformance_suite_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", str(SUITE)])
    out = capsys.readouterr().out
    summary = out.strip().splitlines()[-1]
    match = re.fullmatch(r"(\d+) passed, (\d+) failed", summary)
    assert match is not None, out
    assert int(match.group(1)) > 0 and match.group(2) == "0", out
    assert code == 0


def test_every_spec_section_has_a_file() -> None:
    names = {path.name.split("_")[0] for path in SUITE.glob("*.hot")}
    assert {"s01", "s02", "s03", "s04", "s05", "s06"} <= names


def test_the_suite_passes_hot_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SUITE)]) == 0, capsys.readouterr().err
