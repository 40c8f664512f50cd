"""Shared helpers for the Hot language tests."""

from __future__ import annotations

from typing import Any

import pytest

from hotlang import Host, RecordingHost, load_program


def run(source: str, *, host: Host | None = None, file: str = "test.hot") -> Any:
    """Load one file and return the value of its last top-level expression."""
    program = load_program({file: source}, host=host)
    return program.last_value(file)


@pytest.fixture
def host() -> RecordingHost:
    return RecordingHost()
