"""Parser hard cases of the constructs added in issue 3: match arms, enums, aliases, arrows, placeholders."""

from __future__ import annotations

import pytest

from hotlang import HotSyntaxError
from hotlang.syntax import nodes as ast
from hotlang.syntax.parser import parse_module


def statements(source: str) -> tuple[ast.Statement, ...]:
    return parse_module(source).statements


def value_of(source: str) -> object:
    (binding,) = [s for s in statements(source) if isinstance(s, ast.Binding)]
    return binding.value


def test_match_arms_need_no_separator() -> None:
    node = value_of('m match "s" { Str | Null (v) => concat("got:", v) _ => "" }')
    assert isinstance(node, ast.Match)
    first, default = node.arms
    assert [p.text for p in first.patterns or ()] == ["Str", "Null"] and first.binding == "v"
    assert default.patterns is None


def test_match_patterns_keep_their_text() -> None:
    node = value_of('m match-all x { 200 => 1 "hello" => 2 Trait.Flying => 3 Str? => 4 [1, 2] => 5 }')
    assert isinstance(node, ast.Match) and node.collect_all
    assert [arm.patterns[0].text for arm in node.arms if arm.patterns] == [
        "200",
        '"hello"',
        "Trait.Flying",
        "Str?",
        "[1, 2]",
    ]


def test_binding_paren_may_touch_the_pattern() -> None:
    node = value_of("m match x { Int(n) => n }")
    assert isinstance(node, ast.Match) and node.arms[0].binding == "n"


def test_fn_match_uses_the_first_parameter_as_subject() -> None:
    fn = value_of("f fn match (x, y) { Int => y, => 0 }")
    assert isinstance(fn, ast.FnExpr)
    body = fn.clauses[0].body
    assert isinstance(body, ast.Match) and isinstance(body.subject, ast.Ref) and body.subject.name == "x"


def test_enum_with_payload_and_open() -> None:
    node = value_of("Shape enum open {Point, Circle(Circle)}")
    assert isinstance(node, ast.EnumDef) and node.open
    assert [v.name for v in node.variants] == ["Point", "Circle"]


def test_type_alias_only_on_the_same_line() -> None:
    assert isinstance(value_of('Fruit type "apple" | "banana"'), ast.TypeAlias)
    assert isinstance(value_of('Fruit type open | "kiwi"'), ast.TypeAlias)
    items = statements("Nanosecond type\nx 1")
    assert isinstance(items[0], ast.Binding) and isinstance(items[0].value, ast.TypeDef)
    assert items[0].value.nominal and isinstance(items[1], ast.Binding)


def test_arrow_declarations() -> None:
    bodyless, with_fn = statements('Triangle -> Geom.Tri\nA -> Str fn (a: A): Str { "a" }')
    assert isinstance(bodyless, ast.ArrowDecl) and bodyless.variant == "Tri" and bodyless.fn is None
    assert isinstance(with_fn, ast.ArrowDecl) and with_fn.target == "Str" and with_fn.fn is not None


def test_placeholders_and_boundaries() -> None:
    call = value_of("r map(xs, mul(%, 2))")
    assert isinstance(call, ast.Call)
    boundary = value_of("f %(add(%1, %2))")
    assert isinstance(boundary, ast.PlaceholderBoundary)


def test_parallel_block_and_raw_prefix() -> None:
    assert isinstance(value_of("p parallel { a 1 b 2 }"), ast.Parallel)
    assert isinstance(value_of('r !err("x")'), ast.Raw)


def test_removed_syntax_gets_a_hint() -> None:
    with pytest.raises(HotSyntaxError, match="no `if"):
        parse_module("f fn () { if { 1 } }")
    with pytest.raises(HotSyntaxError, match="All<Map>"):
        parse_module("f fn () { r cond { true => 1 } |map }")


@pytest.mark.parametrize(
    ("source", "flow", "body"),
    [
        ("f serial (x) { add(x, 1) }", "serial", ast.Call),
        ("f cond (x) { gt(x, 0) => 1 _ => 2 }", "cond", ast.Cond),
        ("f cond-all (x): All<Vec> { true => 1 }", "cond-all", ast.Cond),
        ("f parallel (x) { a x b x }", "parallel", ast.Parallel),
    ],
)
def test_flow_based_lambdas(source: str, flow: str, body: type) -> None:
    node = value_of(source)
    assert isinstance(node, ast.Lambda) and node.flow == flow
    assert [param.name for param in node.params] == ["x"]
    (statement,) = node.body.statements
    assert isinstance(statement, ast.ExprStatement) and isinstance(statement.expr, body)


def test_flow_blocks_are_not_lambdas() -> None:
    assert isinstance(value_of("f cond { true => 1 }"), ast.Cond)
    assert isinstance(value_of("f parallel { a 1 }"), ast.Parallel)


def test_placeholders_find_user_fn_slots() -> None:
    source = "g fn (x, f: Fn?) { f(x) }\nr g(1, add(%, 2))\ns g(add(%, 2), 1)"
    bound, plain = [s.value for s in statements(source) if isinstance(s, ast.Binding)][1:]
    assert isinstance(bound, ast.Call) and isinstance(bound.args[1], ast.PlaceholderBoundary)
    assert isinstance(plain, ast.Call) and not isinstance(plain.args[0], ast.PlaceholderBoundary)
    nested = value_of("r map(xs, add(%, 1))")
    assert isinstance(nested, ast.Call) and isinstance(nested.args[1], ast.PlaceholderBoundary)
