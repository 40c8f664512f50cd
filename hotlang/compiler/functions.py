"""Compiling ``fn`` clauses and lambdas into :class:`~hotlang.runtime.functions.Function` values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import compile_expr, handles
from hotlang.compiler.generated import CompiledFunction
from hotlang.compiler.matching import shape_of
from hotlang.compiler.names import bound_names, referenced_names
from hotlang.compiler.pygen import generate_function
from hotlang.compiler.traced import TracedFunction
from hotlang.runtime.equality import hot_eq
from hotlang.runtime.functions import MISSING, Clause, Eval, Function, Scope, TypeCheck
from hotlang.runtime.values import FunctionValue, HotIter, Tagged
from hotlang.syntax import nodes

_BUILTIN_TYPES: dict[str, TypeCheck] = {
    "Int": lambda v: type(v) is int,
    "Dec": lambda v: type(v) is Decimal,
    "Str": lambda v: type(v) is str,
    "Bool": lambda v: type(v) is bool,
    "Null": lambda v: v is None,
    "Vec": lambda v: type(v) is list,
    "Map": lambda v: type(v) is dict,
    "Bytes": lambda v: type(v) is bytes,
    "Fn": lambda v: isinstance(v, FunctionValue),
    "Iter": lambda v: type(v) is HotIter,
}


def type_check(node: nodes.TypeExpr | None) -> TypeCheck | None:
    """A runtime test for overload dispatch; None means "accepts anything"."""
    if node is None:
        return None
    if isinstance(node, nodes.TypeName):
        short = node.name.rpartition("/")[2]
        if short == "Any":
            return None
        builtin = _BUILTIN_TYPES.get(short)
        if builtin is not None:
            return builtin
        return lambda v: (
            type(v) is Tagged and (v.type_path.rpartition("/")[2] == short or v.type_path.endswith("/" + short))
        )
    if isinstance(node, nodes.TypeLiteral):
        expected = node.value
        return lambda v: hot_eq(v, expected)
    if isinstance(node, nodes.TypeNullable):
        inner = type_check(node.inner)
        if inner is None:
            return None
        inner_check = inner
        return lambda v: v is None or inner_check(v)
    options = [type_check(option) for option in node.options]
    if any(option is None for option in options):
        return None
    checks = [option for option in options if option is not None]
    return lambda v: any(check(v) for check in checks)


def _clause(clause: nodes.FnClause, ctx: Ctx) -> Clause:
    params = clause.params
    for position, param in enumerate(params):
        if param.rest and position != len(params) - 1:
            raise ctx.error("only the last parameter can collect the rest (`...name`)", param)
    names = [param.name for param in params]
    body_ctx = ctx.replace(local_names=ctx.local_names | set(names) | bound_names(clause.body))
    body = compile_expr(clause.body, body_ctx.replace(shape=shape_of(clause.returns)), tail=True)
    lazy = {i for i, param in enumerate(params) if param.lazy}
    if isinstance(clause.body, nodes.Match) and _names_result(clause.body):
        lazy.add(0)  # spec §3.5: `fn match` with Result arms receives an Err without halting
    return Clause(
        names,
        rest=bool(params) and params[-1].rest,
        lazy=frozenset(lazy),
        checks=[type_check(param.type) for param in params],
        body=body,
        declared=[_user_type(param.type) for param in params],
    )


def _user_type(node: nodes.TypeExpr | None) -> str | None:
    """The declared user type of a parameter, which arrows may coerce into."""
    if isinstance(node, nodes.TypeName) and node.name.rpartition("/")[2] not in _BUILTIN_TYPES and node.name != "Any":
        return node.name
    return None


def _names_result(node: nodes.Match) -> bool:
    for arm in node.arms:
        for pattern in arm.patterns or ():
            if isinstance(pattern, nodes.PatternType) and pattern.name.rpartition("/")[2] == "Result":
                return True
    return False


def compile_clauses(node: nodes.FnExpr, ctx: Ctx, name: str, display_name: str, *, local: bool) -> list[Clause]:
    """Compile every overload of a ``fn``; ``name`` enables self tail calls."""
    clause_ctx = ctx.replace(
        self_name=name,
        function_name=display_name,
        local_names=ctx.local_names if local else frozenset(),
        top_level=False,
    )
    return [_clause(clause, clause_ctx) for clause in node.clauses]


def compile_function(node: nodes.FnExpr, ctx: Ctx, name: str, *, local: bool) -> Eval:
    """A ``fn`` inside a body: a new Function each time, seeing the live enclosing scope."""
    clauses = compile_clauses(node, ctx, name, name, local=local)
    return lambda scope: Function(name, clauses, scope)


def top_level_function(node: nodes.FnExpr, ctx: Ctx, name: str) -> FunctionValue:
    """A named top-level function: compiled once, resolved through its namespace.

    A function with one strict clause is also handed to the Python code
    generator (:mod:`hotlang.compiler.pygen`), which takes over on first call.
    """
    qualified = f"{ctx.unit.namespace}/{name}"
    closure = Function(qualified, compile_clauses(node, ctx, name, qualified, local=False), None)
    if ctx.unit.traced:
        return TracedFunction(
            closure, namespace=ctx.unit.namespace, file=ctx.unit.file, line=node.line, column=node.column
        )
    if len(node.clauses) == 1:
        clause = node.clauses[0]
        if (
            clause.flow in ("serial", "cond")
            and not any(p.lazy or p.rest for p in clause.params)
            and not any(_user_type(p.type) for p in clause.params)
        ):
            gen_ctx = ctx.replace(self_name=name, function_name=qualified, local_names=frozenset(), top_level=False)
            return CompiledFunction(qualified, clause, gen_ctx, closure, generate_function)
    return closure


@handles(nodes.FnExpr)
def compile_anonymous_fn(node: nodes.FnExpr, ctx: Ctx, tail: bool) -> Eval:
    return compile_function(node, ctx, "<fn>", local=True)


def _lambda_body(node: nodes.Lambda, ctx: Ctx) -> Eval:
    if node.flow == "serial":
        return compile_expr(node.body, ctx)
    flow = node.body.statements[0]
    assert isinstance(flow, nodes.ExprStatement)
    return compile_expr(flow.expr, ctx.replace(shape=shape_of(node.returns)), tail=True)


@handles(nodes.Lambda)
def compile_lambda(node: nodes.Lambda, ctx: Ctx, tail: bool) -> Eval:
    params = node.params
    names = [param.name for param in params]
    free = referenced_names(node.body) - set(names)
    captured = sorted(free if ctx.top_level else free & ctx.local_names)
    body_ctx = ctx.replace(
        local_names=ctx.local_names | set(names) | bound_names(node.body) | set(captured),
        top_level=False,
        self_name=None,
        function_name=f"{ctx.function_name} <lambda>",
    )
    clause = Clause(
        names,
        rest=bool(params) and params[-1].rest,
        lazy=frozenset(i for i, param in enumerate(params) if param.lazy),
        checks=[type_check(param.type) for param in params],
        body=_lambda_body(node, body_ctx),
    )
    clauses = (clause,)
    display = f"{ctx.function_name} <lambda>"

    def make_lambda(scope: Scope) -> Function:
        snapshot: dict[str, Any] = {}
        for name in captured:
            value = scope.lookup(name)
            if value is not MISSING:
                snapshot[name] = value
        return Function(display, clauses, Scope(snapshot, scope), relaxed=True)

    return make_lambda
