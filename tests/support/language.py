"""Running Hot source in unit tests, through the language's public API."""

from __future__ import annotations

from typing import Any

from hotlang import Host, load_program


def run_hot(source: str, *, host: Host | None = None, file: str = "test.hot") -> Any:
    """Load one file and return the value of its last top-level expression."""
    program = load_program({file: source}, host=host)
    return program.last_value(file)
