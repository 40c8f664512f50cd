"""The ``hot test`` runner (spec §6.1), written natively.

Tests are top-level functions whose meta is ``["test"]``, ``{test: true}`` or
``"test"``, run in definition order. Each runs alone with its own assertion
counter: a failing assertion is recorded and the test goes on; a halt ends the
test. A test fails if it halted, returned an Err, or had a failing assertion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotlang.errors import HotError, HotRuntimeError
from hotlang.program import FunctionInfo, Program
from hotlang.runtime.host import RecordingHost
from hotlang.runtime.limits import Limits
from hotlang.runtime.results import err_message
from hotlang.runtime.values import FunctionValue, Tagged


def is_test_meta(meta: Any) -> bool:
    """``["test"]``, ``{test: true}`` or ``"test"``."""
    if isinstance(meta, dict):
        return meta.get("test") is True
    if isinstance(meta, list):
        return "test" in meta
    return bool(meta == "test")


@dataclass
class TestOutcome:
    """What happened in one test."""

    name: str
    failures: list[str] = field(default_factory=list)
    halt: str | None = None
    assertions: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures and self.halt is None


def discover(program: Program, pattern: str | None = None) -> list[FunctionInfo]:
    """The test functions of ``program``, in definition order, filtered by a name substring."""
    return [
        info
        for info in program.functions()
        if is_test_meta(info.meta) and (pattern is None or pattern in info.qualified)
    ]


def run_test(program: Program, info: FunctionInfo, *, limits: Limits | None = None) -> TestOutcome:
    """Run one test in isolation; its output is captured and dropped."""
    outcome = TestOutcome(info.qualified)
    fn = program.lookup(info.qualified)
    if not isinstance(fn, FunctionValue):
        outcome.halt = "not a function"
        return outcome
    try:
        result = program.call_value(
            fn, [], host=RecordingHost(), name=info.qualified, limits=limits, assertion_failed=outcome.failures.append
        )
    except HotRuntimeError as error:
        outcome.halt = error.format().removeprefix("error: ")
        return outcome
    except HotError as error:
        outcome.halt = str(error)
        return outcome
    if type(result) is Tagged and result.kind == 2:
        outcome.halt = f"returned an Err: {err_message(result.payload)}"
    return outcome


def report(outcomes: list[TestOutcome]) -> str:
    """The failure report followed by the summary line ``N passed, M failed``."""
    lines: list[str] = []
    for outcome in outcomes:
        if outcome.passed:
            continue
        lines.append(f"FAIL {outcome.name}")
        lines.extend(f"  ✗ {failure}" for failure in outcome.failures)
        if outcome.halt is not None:
            lines.append(f"  ✗ halted: {outcome.halt}")
    passed = sum(1 for outcome in outcomes if outcome.passed)
    lines.append(f"{passed} passed, {len(outcomes) - passed} failed")
    return "\n".join(lines)
