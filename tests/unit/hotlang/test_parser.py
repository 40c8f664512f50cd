"""Parser: adjacency rules, map vs block, folding of bindings, namespaces and meta."""

from __future__ import annotations

from decimal import Decimal

from hotlang.syntax import nodes as ast
from hotlang.syntax.parser import parse_module


def statements(source: str) -> tuple[ast.Statement, ...]:
    return parse_module(source, "t.hot").statements


def only_expr(source: str) -> ast.Expr:
    (statement,) = statements(source)
    assert isinstance(statement, ast.ExprStatement)
    return statement.expr


def test_call_needs_adjacent_paren() -> None:
    call = only_expr("f(x)")
    assert isinstance(call, ast.Call)
    assert call.callee == ast.Ref(1, 1, "f")


def test_spaced_paren_is_a_binding_of_the_parenthesised_value() -> None:
    (binding,) = statements("f (x)")
    assert isinstance(binding, ast.Binding)
    assert binding.target.name == "f"
    assert isinstance(binding.value, ast.Ref) and binding.value.name == "x"


def test_spaced_paren_followed_by_brace_binds_a_lambda() -> None:
    (binding,) = statements("f (x) { add(x, 1) }")
    assert isinstance(binding, ast.Binding)
    assert isinstance(binding.value, ast.Lambda)
    assert [p.name for p in binding.value.params] == ["x"]


def test_adjacent_bracket_is_an_index_spaced_bracket_a_vector() -> None:
    index = only_expr("a[0]")
    assert isinstance(index, ast.Index)
    (binding,) = statements("a [0]")
    assert isinstance(binding, ast.Binding)
    assert isinstance(binding.value, ast.VectorLit)


def test_brace_is_map_or_block_by_lookahead() -> None:
    assert isinstance(only_expr("{}"), ast.MapLit)
    assert isinstance(only_expr('{ "x" }'), ast.Block)
    assert isinstance(only_expr("{a: 1}"), ast.MapLit)
    assert isinstance(only_expr("{name}"), ast.Block)
    punned = only_expr("{name, age}")
    assert isinstance(punned, ast.MapLit)
    assert [e.key for e in punned.entries if isinstance(e, ast.MapEntry)] == ["name", "age"]
    assert isinstance(only_expr("{...m, k: 1}"), ast.MapLit)
    assert isinstance(only_expr("{type: 1}"), ast.MapLit)


def test_fn_body_is_never_a_map() -> None:
    (binding,) = statements("f fn () {}")
    assert isinstance(binding.value, ast.FnExpr)  # type: ignore[union-attr]
    body = binding.value.clauses[0].body  # type: ignore[union-attr]
    assert isinstance(body, ast.Block) and body.statements == ()


def test_juxtaposition_folds_across_newlines() -> None:
    result = statements("x\n\n  42\ny\nfoo()")
    assert [type(s).__name__ for s in result] == ["Binding", "Binding"]
    assert isinstance(result[1], ast.Binding) and isinstance(result[1].value, ast.Call)


def test_expression_statements_after_calls() -> None:
    result = statements("foo()\nbar")
    assert all(isinstance(s, ast.ExprStatement) for s in result)


def test_deep_path_targets() -> None:
    binding = statements("a.b[0] 5")[0]
    assert isinstance(binding, ast.Binding)
    assert [(s.kind, s.key) for s in binding.target.path] == [("key", "b"), ("index", 0)]
    append = statements("list[] 1")[0]
    assert isinstance(append, ast.Binding) and append.target.path[0].kind == "append"
    var = statements("workers[index].status 1")[0]
    assert isinstance(var, ast.Binding)
    assert [(s.kind, s.key) for s in var.target.path] == [("var", "index"), ("key", "status")]


def test_typed_binding() -> None:
    binding = statements("x: Int 5")[0]
    assert isinstance(binding, ast.Binding)
    assert binding.target.type == ast.TypeName(1, 4, "Int")
    assert binding.value == ast.Const(1, 8, 5)


def test_namespace_declaration_alias_and_path() -> None:
    result = statements("::a::b ns\n::http ::hot::http\n::a::b/f(1)")
    assert isinstance(result[0], ast.NamespaceDecl) and result[0].path == "::a::b"
    assert isinstance(result[1], ast.NamespaceAlias)
    assert (result[1].alias, result[1].path) == ("::http", "::hot::http")
    call = result[2]
    assert isinstance(call, ast.ExprStatement) and isinstance(call.expr, ast.Call)
    assert call.expr.callee == ast.QualifiedRef(3, 1, "::a::b", "f")


def test_namespace_meta_before_or_after_ns() -> None:
    before, after = statements('::a meta ["test"] ns\n::b ns meta {doc: "x"}')
    assert isinstance(before, ast.NamespaceDecl) and before.meta == ["test"]
    assert isinstance(after, ast.NamespaceDecl) and after.meta == {"doc": "x"}


def test_meta_positions() -> None:
    before = statements('f\nmeta {on-event: "a:b"}\nfn (e) { e }')[0]
    assert isinstance(before, ast.Binding) and before.meta == {"on-event": "a:b"}
    after = statements('x 1 meta {doc: "one"}')[0]
    assert isinstance(after, ast.Binding) and after.meta == {"doc": "one"}
    vector = statements('t meta ["test"] fn () { 1 }')[0]
    assert isinstance(vector, ast.Binding) and vector.meta == ["test"]


def test_meta_as_a_call_is_still_a_call() -> None:
    call = only_expr("meta(1)")
    assert isinstance(call, ast.Call)


def test_overloaded_clauses() -> None:
    binding = statements("f fn\n(x: Int): Str { 1 },\n(x: Str, y): Str { 2 }")[0]
    assert isinstance(binding, ast.Binding) and isinstance(binding.value, ast.FnExpr)
    assert [len(c.params) for c in binding.value.clauses] == [1, 2]


def test_cond_with_default_arm_and_label() -> None:
    cond = only_expr("cond { eq(a, 1) => one { 1 } _ => 2 => 3 }")
    assert isinstance(cond, ast.Cond)
    assert [arm.label for arm in cond.arms] == ["one", None, None]
    assert cond.arms[1].test is None and cond.arms[2].test is None


def test_numbers_strings_templates() -> None:
    vector = only_expr('[1, -2, 3.50, "a\\n", """\n    x\n      y\n    """]')
    assert isinstance(vector, ast.VectorLit)
    values = [item.value for item in vector.items if isinstance(item, ast.Const)]
    assert values == [1, -2, Decimal("3.50"), "a\n", "x\n  y"]
    template = only_expr("`a ${add(1, 2)} b`")
    assert isinstance(template, ast.Template)
    assert template.parts[0] == "a " and isinstance(template.parts[1], ast.Call)


def test_keywords_as_fields_and_keys() -> None:
    field = only_expr("event.type")
    assert isinstance(field, ast.Field) and field.name == "type"


def test_pipe_and_do() -> None:
    pipe = only_expr("x |> f(1)\n  |> g")
    assert isinstance(pipe, ast.Pipe) and len(pipe.stages) == 3
    assert isinstance(only_expr("do x"), ast.Do)


def test_comments_are_ignored() -> None:
    assert len(statements("// one\nx /* inline */ 1 // two\n")) == 1


def test_parse_cache_returns_the_same_tree() -> None:
    source = "cached fn () { 1 }"
    assert parse_module(source, "a.hot") is parse_module(source, "b.hot")
