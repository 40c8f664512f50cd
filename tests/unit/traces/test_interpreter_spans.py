"""The interpreter's span hooks (hotlang.runtime.tracing) with an in-memory tracer: exact span trees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from hotlang import HotFailure, load_program
from hotlang.runtime.tracing import TRUNCATED, Span, value_text

SOURCE = """
::t ns

fact fn (n) {
  cond {
    lt(n, 2) => base { 1 }
    => step { mul(n, fact(sub(n, 1))) }
  }
}

double fn (x) { mul(x, 2) }

nested fn (n) {
  total add(double(n), 1)
  total
}

both fn (n) {
  parallel {
    a double(n)
    b fact(n)
  }
}

kind fn (v) {
  match v {
    Int => "int"
    Str => "str"
    _ => "other"
  }
}

inner fn (x) { fail("inner broke", {x: x}) }
outer fn (x) { inner(x) }

count-down fn (n) { if(eq(n, 0), "done", count-down(sub(n, 1))) }
"""


class RecordedSpan:
    def __init__(self, name: str, attributes: Mapping[str, Any]) -> None:
        self.name = name
        self.attributes = dict(attributes)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.error: tuple[str, str] | None = None
        self.children: list[RecordedSpan] = []
        self.ended = False

    def set_attribute(self, key: str, value: str | int | bool) -> None:
        self.attributes[key] = value

    def add_event(self, name: str, attributes: Mapping[str, str | int | bool]) -> None:
        self.events.append((name, dict(attributes)))

    def fail(self, message: str, stack: str) -> None:
        self.error = (message, stack)

    def end(self) -> None:
        self.ended = True


class RecordingTracer:
    def __init__(self) -> None:
        self.roots: list[RecordedSpan] = []

    def start_span(self, name: str, parent: Span | None, attributes: Mapping[str, str | int | bool]) -> RecordedSpan:
        span = RecordedSpan(name, attributes)
        if isinstance(parent, RecordedSpan):
            parent.children.append(span)
        else:
            self.roots.append(span)
        return span


def tree(span: RecordedSpan) -> tuple[Any, ...]:
    label = span.name
    if "hot.flow.branch" in span.attributes:
        label += f"[{span.attributes['hot.flow.branch']}]"
    return (label, [tree(child) for child in span.children]) if span.children else (label,)


@pytest.fixture(scope="module")
def program() -> Any:
    return load_program({"t.hot": SOURCE}, traced=True)


def traced(program: Any, fn: str, *args: Any) -> tuple[Any, RecordingTracer]:
    tracer = RecordingTracer()
    return program.call(fn, list(args), tracer=tracer), tracer


def test_nested_calls_and_binding_events(program: Any) -> None:
    result, tracer = traced(program, "::t/nested", 4)
    assert result == 9
    assert [tree(root) for root in tracer.roots] == [("::t/nested", [("::t/double",)])]
    root = tracer.roots[0]
    assert root.attributes["hot.args"] == "[4]"
    assert root.attributes["hot.return_value"] == "9"
    assert root.attributes["hot.call_depth"] == 1
    assert root.attributes["hot.namespace"] == "::t"
    assert root.attributes["code.filepath"] == "t.hot"
    assert root.attributes["code.lineno"] == 13
    assert root.children[0].attributes["hot.call_depth"] == 2
    assert root.events == [("hot.bind", {"hot.name": "total", "hot.value": "9"})]
    assert all(span.ended for span in [root, *root.children])


def test_recursion_and_cond_branches(program: Any) -> None:
    result, tracer = traced(program, "::t/fact", 3)
    assert result == 6
    assert [tree(root) for root in tracer.roots] == [
        ("::t/fact", [("<cond>[step]", [("::t/fact", [("<cond>[step]", [("::t/fact", [("<cond>[base]",)])])])])])
    ]
    cond = tracer.roots[0].children[0]
    assert cond.attributes["hot.flow.type"] == "cond"
    assert cond.attributes["hot.flow.inline"] is True


def test_parallel_branches_nest_under_the_flow(program: Any) -> None:
    result, tracer = traced(program, "::t/both", 2)
    assert result == {"a": 4, "b": 2}
    (root,) = tracer.roots
    assert root.name == "::t/both"
    (flow,) = root.children
    assert flow.name == "<parallel>" and "hot.flow.branch" not in flow.attributes
    assert sorted(tree(child) for child in flow.children) == [
        ("<parallel>[a]", [("::t/double",)]),
        ("<parallel>[b]", [("::t/fact", [("<cond>[step]", [("::t/fact", [("<cond>[base]",)])])])]),
    ]


def test_match_arm(program: Any) -> None:
    _, tracer = traced(program, "::t/kind", "x")
    assert [tree(root) for root in tracer.roots] == [("::t/kind", [("<match>[Str]",)])]


def test_failure_marks_every_enclosing_span_with_the_hot_stack(program: Any) -> None:
    tracer = RecordingTracer()
    with pytest.raises(HotFailure):
        program.call("::t/outer", [7], tracer=tracer)
    (outer,) = tracer.roots
    (inner,) = outer.children
    assert inner.error is not None and inner.error[0] == "inner broke"
    assert inner.error[1].splitlines()[0].startswith("at ::t/inner (t.hot:")
    assert outer.error is not None and len(outer.error[1].splitlines()) == 2
    assert "hot.return_value" not in outer.attributes


def test_self_tail_calls_stay_in_one_span(program: Any) -> None:
    result, tracer = traced(program, "::t/count-down", 5000)
    assert result == "done"
    assert [tree(root) for root in tracer.roots] == [("::t/count-down",)]


def test_without_a_tracer_a_traced_program_runs_normally(program: Any) -> None:
    assert program.call("::t/fact", [10]) == 3628800


def test_untraced_programs_ignore_a_tracer() -> None:
    tracer = RecordingTracer()
    assert load_program({"t.hot": SOURCE}).call("::t/fact", [5], tracer=tracer) == 120
    assert tracer.roots == []


def test_values_are_capped_with_a_marker() -> None:
    text = value_text(list(range(10_000)), cap=100)
    assert len(text) == 100 + len(TRUNCATED) and text.endswith(TRUNCATED)
    assert value_text({"a": 1}) == '{"a": 1}'
