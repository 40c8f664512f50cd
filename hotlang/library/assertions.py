"""``::hot::test``: ``assert`` and ``assert-eq``.

A failing assertion is reported to the run's ``assertion_failed`` callback when
a test runner installed one (the test keeps running, spec §6.1); otherwise it
halts with :class:`~hotlang.errors.HotAssertionFailed`.
"""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotAssertionFailed, HotCancelled
from hotlang.library.registry import Library
from hotlang.runtime.display import display
from hotlang.runtime.equality import hot_eq
from hotlang.runtime.results import force_suppressed
from hotlang.runtime.run import current_run
from hotlang.runtime.values import Tagged, is_truthy

lib = Library("::hot::test")


def _failed(message: str) -> bool:
    sink = current_run().assertion_failed
    if sink is None:
        raise HotAssertionFailed(message)
    sink(message)
    return False


def _force(value: Any) -> tuple[Any, str | None]:
    result, halt = force_suppressed(value)
    if isinstance(halt, HotCancelled):
        raise halt
    if halt is not None:
        return None, halt.message
    if type(result) is Tagged and result.kind == 2:
        return None, display(result.payload)
    return result, None


@lib.native("assert", 1, 2, lazy=(0,))
def assert_(value: Any, description: Any = None) -> bool:
    result, problem = _force(value)
    if problem is None and is_truthy(result):
        return True
    label = description if type(description) is str else f"assert expected a truthy value, got {display(result)}"
    return _failed(f"{label}: {problem}" if problem else label)


@lib.native("assert-eq", 2, 3, lazy=(0, 1))
def assert_eq(expected: Any, actual: Any, description: Any = None) -> bool:
    want, want_problem = _force(expected)
    got, got_problem = _force(actual)
    if want_problem is not None:
        return _failed(f"expected value is an error: {want_problem}")
    if got_problem is not None:
        return _failed(f"actual value is an error: {got_problem}")
    if hot_eq(want, got):
        return True
    detail = f"expected {display(want)}, got {display(got)}"
    return _failed(f"{description}: {detail}" if type(description) is str else detail)
