"""Test kinds by folder: `unit` (no NATS, no PostgreSQL), `integration` (one or two real
components in-process), `e2e` (the whole platform as processes). Every test gets the marker of
its folder, so `pytest -m unit` equals `pytest tests/unit`. Shared fixtures live in `tests/support`."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.support.fixtures"]

KINDS = ("unit", "integration", "e2e")
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        kind = item.path.relative_to(TESTS).parts[0]
        assert kind in KINDS, f"{item.nodeid}: tests live in one of {', '.join(KINDS)}/ (see README, Testing)"
        item.add_marker(getattr(pytest.mark, kind))
