"""Evaluation semantics: numbers, strings, collections, functions, flows, Results."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hotlang import HotRuntimeError
from hotlang.runtime.values import Tagged
from tests.support.language import run_hot


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("add(1, 2)", 3),
        ("add(1, 2.5)", Decimal("3.5")),
        ("div(10, 2)", 5),
        ("div(7, 2)", Decimal("3.5")),
        ("div(1.0, 4)", Decimal("0.25")),
        ("mul(12.0, 2.54)", Decimal("30.480")),
        ("add(0.1, 0.2)", Decimal("0.3")),
        ("sub(5, 7)", -2),
        ("mod(-7, 3)", -1),
        ("mod(7, -3)", 1),
        ("round(2.5)", 3),
        ("floor(-1.5)", -2),
        ("Int(-3.9)", -3),
        ('Dec("3.14")', Decimal("3.14")),
        ("range(5, 0, -1)", [5, 4, 3, 2, 1]),
    ],
)
def test_arithmetic(source: str, expected: object) -> None:
    result = run_hot(source)
    assert result == expected
    assert type(result) is type(expected)


def test_dec_keeps_scale_and_prints_without_exponent() -> None:
    assert run_hot("Str(5.0)") == "5.0"
    assert run_hot("Str(mul(12.0, 2.54))") == "30.480"
    assert run_hot("`${1.10}x${2}`") == "1.10x2"


def test_division_by_zero_is_an_err_value() -> None:
    result = run_hot("r div(1, 0)\nr")
    assert isinstance(result, Tagged) and result.is_err and result.payload == "Division by zero"
    assert run_hot("is-err(div(1, 0))") is True


def test_equality_keeps_bool_int_dec_apart() -> None:
    assert run_hot("eq(1, 1.0)") is False
    assert run_hot("eq(true, 1)") is False
    assert run_hot("eq(1.0, 1.00)") is True
    assert run_hot("eq({a: [1, 2]}, {a: [1, 2]})") is True
    assert run_hot("eq({a: 1, b: 2}, {b: 2, a: 1})") is True
    assert run_hot("ne(1, 2)") is True
    assert run_hot("lt(1, 1.5)") is True
    assert run_hot('gt("b", "a")') is True


def test_templates_and_strings() -> None:
    assert run_hot('name "Ada"\n`Hello, ${name}! ${add(1, 2)} ${null}.`') == "Hello, Ada! 3 ."
    assert run_hot('Str([1, "a", null])') == '[1, "a", ]'
    assert run_hot('Str({a: 1, b: "x"})') == '{a: 1, b: "x"}'
    assert run_hot('concat("a", 1, null, "b")') == "a1b"
    assert run_hot("concat([1], null, [2, 3])") == [1, 2, 3]
    assert run_hot('split("a,b", ",")') == ["a", "b"]
    assert run_hot('join(["a", "b"], "-")') == "a-b"
    assert run_hot('uppercase(trim("  hi "))') == "HI"
    assert run_hot('starts-with("hello", "he")') is True
    assert run_hot('contains("hello", "ell")') is True
    assert run_hot('length("é")') == 2
    assert run_hot("```\n  line ${add(1, 1)}\n    indented\n  ```") == "line 2\n  indented"


def test_maps_vectors_spread_and_punning() -> None:
    assert run_hot('name "x"\nage 3\n{name, age}') == {"name": "x", "age": 3}
    assert run_hot("m {a: 1, b: 2}\n{...m, b: 3, c: 4}") == {"a": 1, "b": 3, "c": 4}
    assert run_hot("a [1, 2]\n[...a, 3]") == [1, 2, 3]
    assert run_hot("keys({a: 1, b: 2})") == ["a", "b"]
    assert run_hot("vals({a: 1, b: 2})") == [1, 2]
    assert run_hot("first([])") is None
    assert run_hot("rest(null)") == []
    assert run_hot('get({a: 1}, "b", 9)') == 9
    assert run_hot("is-empty(null)") is True


def test_deep_path_bindings() -> None:
    assert run_hot('config {}\nconfig.servers[0] "x"\nconfig') == {"servers": ["x"]}
    assert run_hot("ports [4680]\nports[3] 4683\nports") == [4680, None, None, 4683]
    assert run_hot('list null\nlist[] "first"\nlist[] "second"\nlist') == ["first", "second"]
    assert run_hot('user {settings: {theme: "light"}}\nuser.settings.theme "dark"\nuser') == {
        "settings": {"theme": "dark"}}
    assert run_hot('i 1\nw [{}, {}]\nw[i].status "ready"\nw') == [{}, {"status": "ready"}]


def test_null_safe_access() -> None:
    assert run_hot("m {a: {b: 1}}\nm.x.y.z") is None
    assert run_hot("v [1]\nv[5]") is None
    assert run_hot("n null\nn.a") is None
    assert run_hot("s 5\ns.a") is None


def test_lambdas_capture_by_value() -> None:
    source = """
    count 1
    f (x) { add(x, count) }
    count 100
    f(1)
    """
    assert run_hot(source) == 2


def test_named_local_functions_see_latest_binding() -> None:
    source = """
    outer fn () {
      base 1
      g fn () { base }
      base 2
      g()
    }
    outer()
    """
    assert run_hot(source) == 2


def test_lambdas_have_relaxed_arity() -> None:
    assert run_hot("f (a, b) { [a, b] }\nf(1)") == [1, None]
    assert run_hot("map({a: 1, b: 2}, (k, v) { concat(k, Str(v)) })") == ["a1", "b2"]


def test_higher_order_functions() -> None:
    assert run_hot("map([1, 2, 3], (x) { mul(x, x) })") == [1, 4, 9]
    assert run_hot("filter([1, 2, 3, 4], (x) { eq(mod(x, 2), 0) })") == [2, 4]
    assert run_hot("reduce([1, 2, 3], (acc, x) { add(acc, x) }, 10)") == 16
    assert run_hot("filter({a: 1, b: 2}, (k, v) { gt(v, 1) })") == [["b", 2]]
    assert run_hot("double fn (x) { mul(x, 2) }\nmap([1, 2], double)") == [2, 4]


def test_cond_and_default_arm() -> None:
    source = """
    classify fn (n) {
      cond {
        lt(n, 0) => "negative"
        eq(n, 0) => "zero"
        => "positive"
      }
    }
    [classify(-1), classify(0), classify(5)]
    """
    assert run_hot(source) == ["negative", "zero", "positive"]
    assert run_hot("cond { false => 1 }") is None
    assert run_hot("cond-all { true => a { 1 } false => 2 => 3 }") == {"a": 1, "cond_branch_2": 3}


def test_cond_branch_bindings_do_not_leak() -> None:
    assert run_hot("x 1\ncond { true => { x 2 x } }\nx") == 1


def test_fn_cond_clause() -> None:
    source = """
    fact fn cond (n) {
      eq(n, 0) => 1
      => mul(n, fact(sub(n, 1)))
    }
    fact(10)
    """
    assert run_hot(source) == 3628800


def test_overloads_by_arity_and_type() -> None:
    source = """
    greet fn
      (name: Str) { concat("hi ", name) },
      (n: Int) { add(n, 1) },
      (a, b) { [a, b] }
    [greet("x"), greet(1), greet(1, 2)]
    """
    assert run_hot(source) == ["hi x", 2, [1, 2]]


def test_rest_parameters_and_spread_arguments() -> None:
    assert run_hot("f fn (a, ...more) { [a, more] }\nf(1, 2, 3)") == [1, [2, 3]]
    assert run_hot("xs [1, 2]\nadd(...xs)") == 3


def test_recursion_and_deep_tail_loop() -> None:
    source = """
    count-down fn (n, acc) {
      cond {
        eq(n, 0) => acc
        => count-down(sub(n, 1), add(acc, 1))
      }
    }
    count-down(1000000, 0)
    """
    assert run_hot(source) == 1_000_000


def test_tail_call_through_if() -> None:
    source = """
    loop fn (n) { if(eq(n, 0), "done", loop(sub(n, 1))) }
    loop(200000)
    """
    assert run_hot(source) == "done"


def test_non_tail_recursion_works_to_moderate_depth() -> None:
    source = """
    sum-to fn (n) { if(eq(n, 0), 0, add(n, sum-to(sub(n, 1)))) }
    sum-to(2000)
    """
    assert run_hot(source) == 2001000


def test_functions_are_hoisted_across_namespaces() -> None:
    source = """
    ::app::a ns
    first-value fn () { ::app::b/second() }
    result first-value()
    ::app::b ns
    second fn () { "from b" }
    """
    from hotlang import load_program

    program = load_program({"x.hot": source})
    assert program.lookup("::app::a/result") == "from b"


def test_namespace_alias_and_qualified_core_names() -> None:
    assert run_hot("::c ::hot::coll\n::c/length([1, 2])") == 2
    assert run_hot('::hot::str/uppercase("a")') == "A"


def test_core_names_are_shadowable() -> None:
    assert run_hot('first fn (x) { "mine" }\nfirst([1])') == "mine"
    assert run_hot("f fn (data) { data }\nf(5)") == 5


def test_lazy_parameters_and_do() -> None:
    source = """
    twice fn (lazy x) { [do x, do x] }
    twice(add(1, 2))
    """
    assert run_hot(source) == [3, 3]
    assert run_hot('skip fn (lazy x) { 1 }\nskip(fail("never"))') == 1


def test_if_and_or_short_circuit() -> None:
    assert run_hot('if(false, fail("no"), "else")') == "else"
    assert run_hot('if(0, "zero is truthy")') == "zero is truthy"
    assert run_hot("if(null, 1)") is None
    assert run_hot('or(null, false, "x")') == "x"
    assert run_hot('or(err("e"), "fallback")') == "fallback"
    assert run_hot('and(1, null, fail("no"))') is None
    assert run_hot("and(1, 2)") == 2
    assert run_hot('not("")') is False


def test_truthiness() -> None:
    source = (
        '[if(0, 1, 2), if("", 1, 2), if([], 1, 2), if({}, 1, 2), if(0.0, 1, 2), '
        'if(err("x"), 1, 2), if(ok(false), 1, 2)]'
    )
    assert run_hot(source) == [1, 1, 1, 1, 1, 2, 2]


def test_results_are_kept_by_bindings_and_consumed_by_arguments() -> None:
    assert run_hot("r ok(5)\nadd(r, 1)") == 6
    assert run_hot("r ok(ok(1))\neq(r, 1)") is True
    bound = run_hot('r err("bad")\n[is-err(r), is-ok(r), err-value(r)]')
    assert bound == [True, False, "bad"]
    assert run_hot('if-err(err("x"), "default")') == "default"
    assert run_hot("if-ok(ok(2), (v) { add(v, 1) })") == 3
    with pytest.raises(HotRuntimeError, match="bad"):
        run_hot('r err("bad")\nadd(r, 1)')


def test_err_halts_before_the_callee_runs() -> None:
    source = """
    touched fn (x) { fail("callee ran") }
    touched(err({msg: "boom"}))
    """
    with pytest.raises(HotRuntimeError, match="boom"):
        run_hot(source)


def test_pipe() -> None:
    assert run_hot("[1, 2, 3] |> map((x) { add(x, 1) }) |> length") == 3
    assert run_hot('err("p") |> is-err') is True


def test_json_functions() -> None:
    assert run_hot('to-json({a: 1.50, b: [true, null, "x"]})') == '{"a":1.50,"b":[true,null,"x"]}'
    assert run_hot('from-json("{\\"a\\": 1.5}")') == {"a": Decimal("1.5")}


def test_iterators() -> None:
    assert run_hot("it Iter([1, 2])\n[next(it), next(it), next(it)]") == [
        {"value": 1, "done": False},
        {"value": 2, "done": False},
        {"value": None, "done": True},
    ]


def test_asserts() -> None:
    assert run_hot("assert-eq(3, add(1, 2))") is True
    with pytest.raises(HotRuntimeError, match="expected 3, got 4"):
        run_hot("assert-eq(3, add(2, 2))")
    with pytest.raises(HotRuntimeError, match="must hold"):
        run_hot('assert(false, "must hold")')


def test_struct_type_constructor() -> None:
    value = run_hot("Point type {x: Int, y: Int}\np Point({x: 1, y: 2})\n[p.x, p]")
    assert value[0] == 1
    assert isinstance(value[1], Tagged) and value[1].type_path == "::test/Point"


def test_map_keys_keep_bool_int_dec_apart() -> None:
    from hotlang.runtime.keys import KeyBox, hot_key, map_key

    result = run_hot("assoc(assoc(assoc({a: 0}, 1, 'i'), true, 'b'), 1.0, 'd')".replace("'", '"'))
    assert len(result) == 4
    assert [hot_key(key) for key in result] == ["a", 1, True, Decimal("1.0")]
    assert [type(hot_key(key)) for key in result] == [str, int, bool, Decimal]
    assert map_key("a") == "a" and type(map_key("a")) is str
    assert map_key(1) == 1 and type(map_key(1)) is int
    assert map_key(True) != map_key(1) and map_key(Decimal(1)) != map_key(1)
    assert map_key(Decimal("1.0")) == map_key(Decimal("1.00")) == KeyBox(Decimal(1))
    assert run_hot('get(assoc({}, true, "b"), 1)') is None


def test_top_level_expressions_get_hidden_names() -> None:
    from hotlang.tools.checker import check_sources

    source = '::t ns\nadd(1, 2)\nconcat("a", "b")\nboth fn () { [$var_0, $var_1] }\nboth()'
    assert run_hot(source) == [3, "ab"]
    assert check_sources({"t.hot": source}) == []
    assert check_sources({"t.hot": "::t ns\nadd(1, 2)\nf fn () { $var_1 }"}) != []
