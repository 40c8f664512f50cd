"""The Python code generator (``hotlang.compiler.pygen``) agrees with the closure compiler."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hotlang import HotRuntimeError, load_program
from hotlang.compiler.generated import CompiledFunction

SOURCE = """::gen ns

fib fn (n) { if(lt(n, 2), n, add(fib(sub(n, 1)), fib(sub(n, 2)))) }
count fn (n, acc) { if(eq(n, 0), acc, count(sub(n, 1), add(acc, 1))) }
snapshot fn () { x 1 f () { x } x 2 [f(), x] }
mixed fn (a, b) { [add(a, b), mul(a, b), lt(a, b), eq(a, b), mod(a, b)] }
consume fn () { add(div(1, 0), 1) }
keep fn () { r div(1, 0) is-err(r) }
text fn (n) { `n=${n} ${[n]} ${null}` }
fields fn (m) { [m.a, m.b.c, m["a"], get(m, "a")] }
flows fn (x) { cond { lt(x, 0) => "neg" eq(x, 0) => "zero" => "pos" } }
piped fn (xs) { xs |> map((x) { mul(x, 2) }) |> filter((x) { gt(x, 2) }) }
deep fn () { m {a: {b: 1}} m.a.b 2 m }
escaped fn () { match 3 { Int => "int" _ => "other" } }
"""


@pytest.fixture(scope="module")
def program() -> Any:
    return load_program({"gen.hot": SOURCE})


def test_named_functions_are_generated(program: Any) -> None:
    assert isinstance(program.lookup("::gen/fib"), CompiledFunction)
    assert program.call("::gen/fib", [15]) == 610


def test_self_tail_calls_loop(program: Any) -> None:
    assert program.call("::gen/count", [200_000, 0]) == 200_000


def test_lambdas_snapshot_captures(program: Any) -> None:
    assert program.call("::gen/snapshot", []) == [1, 2]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (7, 3, [10, 21, False, False, 1]),
        (-7, 3, [-4, -21, True, False, -1]),
        ("1.5", 2, [Decimal("3.5"), Decimal("3.0"), True, False, Decimal("1.5")]),
    ],
)
def test_inlined_arithmetic_matches_the_natives(program: Any, a: Any, b: Any, expected: list[Any]) -> None:
    first = Decimal(a) if isinstance(a, str) else a
    assert program.call_value(program.lookup("::gen/mixed"), [first, b]) == expected


def test_err_is_consumed_at_arguments_and_kept_by_bindings(program: Any) -> None:
    with pytest.raises(HotRuntimeError, match="Division by zero") as info:
        program.call("::gen/consume", [])
    assert info.value.stack[0].function == "::gen/consume"
    assert program.call("::gen/keep", []) is True


def test_templates_fields_flows_pipes_and_paths(program: Any) -> None:
    assert program.call("::gen/text", [5]) == "n=5 [5] "
    assert program.call("::gen/fields", [{"a": 1, "b": {"c": 2}}]) == [1, 2, 1, 1]
    assert [program.call("::gen/flows", [n]) for n in (-1, 0, 1)] == ["neg", "zero", "pos"]
    assert program.call("::gen/piped", [[1, 2, 3]]) == [4, 6]
    assert program.call("::gen/deep", []) == {"a": {"b": 2}}
    assert program.call("::gen/escaped", []) == "int"


def test_type_errors_in_generated_code_are_hot_errors(program: Any) -> None:
    with pytest.raises(HotRuntimeError, match="add expects numbers"):
        program.call("::gen/mixed", ["a", 1])


COMPREHENSIONS = """::comp ns
score fn (x) { if(eq(x, 0), err("zero"), mul(x, 10)) }
doubled fn (xs) { map(xs, (x) { mul(x, 2) }) }
scored fn (xs) { map(xs, (x) { score(x) }) }
kept fn (xs) { filter(xs, (x) { gt(x, 1) }) }
truthy fn (xs) { filter(xs, (x) { x }) }
over-map fn (m) { map(m, (k) { k }) }
"""


def test_map_and_filter_comprehensions_keep_the_semantics() -> None:
    program = load_program({"comp.hot": COMPREHENSIONS})
    assert program.call("::comp/doubled", [[1, 2]]) == [2, 4]
    assert program.call("::comp/doubled", [None]) == []
    assert program.call("::comp/kept", [[1, 2, 3]]) == [2, 3]
    assert program.call("::comp/truthy", [[0, None, False, "", 1]]) == [0, "", 1]
    assert program.call("::comp/over-map", [{"a": 1}]) == ["a"]
    with pytest.raises(HotRuntimeError, match="zero"):
        program.call("::comp/scored", [[1, 0]])
