"""Compiling bodies, bindings and ``cond``/``cond-all`` flows."""

from __future__ import annotations

from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import compile_expr, compile_statement, handles, handles_statement
from hotlang.compiler.functions import compile_function
from hotlang.compiler.matching import collected, shape_of, single
from hotlang.compiler.names import binds_directly
from hotlang.compiler.typedefs import define_type
from hotlang.compiler.values import settle
from hotlang.errors import HotRuntimeError
from hotlang.runtime.functions import MISSING, Eval, Scope
from hotlang.runtime.paths import Step, assoc_path
from hotlang.runtime.tracing import in_branch, record_binding, traced_flow
from hotlang.runtime.values import Tagged, Thunk, force, is_truthy
from hotlang.syntax import nodes


def compile_statements(statements: tuple[nodes.Statement, ...], ctx: Ctx, tail: bool) -> Eval:
    """A serial body: run every statement, return the last one's value (null when empty)."""
    evals: list[Eval] = []
    last_index = len(statements) - 1
    for position, statement in enumerate(statements):
        if isinstance(statement, nodes.NamespaceAlias):
            ctx = ctx.replace(aliases={**ctx.aliases, statement.alias: statement.path})
            continue
        evals.append(compile_statement(statement, ctx, tail and position == last_index))
    if not evals:
        return lambda scope: None
    if len(evals) == 1:
        return evals[0]
    init, last = evals[:-1], evals[-1]

    def serial(scope: Scope) -> Any:
        for evaluate in init:
            evaluate(scope)
        return last(scope)

    return serial


@handles(nodes.Block)
def compile_block(node: nodes.Block, ctx: Ctx, tail: bool) -> Eval:
    return compile_statements(node.statements, ctx, tail)


@handles_statement(nodes.Binding)
def compile_binding(node: nodes.Binding, ctx: Ctx, tail: bool) -> Eval:
    """``name = value`` (or ``name.path = value``); a binding is never a tail call, so ``tail`` is unused."""
    target = node.target
    name = target.name
    if isinstance(node.value, nodes.FnExpr):
        value = compile_function(node.value, ctx, name, local=True)
    elif isinstance(node.value, (nodes.TypeDef, nodes.EnumDef, nodes.TypeAlias)):
        constructor = define_type(node.value, ctx, name)
        value = lambda scope: constructor  # noqa: E731
    else:
        value = compile_expr(node.value, ctx.replace(shape=shape_of(target.type)))
    if not target.path and ctx.unit.traced:

        def traced_bind(scope: Scope) -> Any:
            result = value(scope)
            scope.vars[name] = result
            record_binding(name, result)
            return result

        return traced_bind
    if not target.path:

        def bind(scope: Scope) -> Any:
            result = value(scope)
            scope.vars[name] = result
            return result

        return bind
    return _compile_deep_binding(node, ctx, value)


def _compile_deep_binding(node: nodes.Binding, ctx: Ctx, value: Eval) -> Eval:
    name = node.target.name
    steps = node.target.path
    frame = ctx.frame(node)
    fallback_globals = ctx.unit.globals

    def resolve_steps(scope: Scope) -> list[Step]:
        resolved: list[Step] = []
        for step in steps:
            if step.kind == "var":
                key = scope.lookup(str(step.key))
                if key is MISSING:
                    key = fallback_globals.get(str(step.key), MISSING)
                if key is MISSING:
                    raise HotRuntimeError(f"`{step.key}` is not defined")
                key = settle(key)
                resolved.append(("var_index" if type(key) is int else "var_key", key))
            else:
                resolved.append((step.kind, step.key))
        return resolved

    def bind_path(scope: Scope) -> Any:
        result = value(scope)
        try:
            root = scope.lookup(name)
            if root is MISSING:
                root = fallback_globals.get(name)
            updated = assoc_path(root, resolve_steps(scope), result)
        except HotRuntimeError as error:
            error.add_frame(frame)
            raise
        scope.vars[name] = updated
        return result

    return bind_path


def _truthy_test(evaluate: Eval) -> Eval:
    def test(scope: Scope) -> bool:
        value = evaluate(scope)
        if type(value) is Thunk:
            value = force(value)
        return value is not None and value is not False and (type(value) is not Tagged or is_truthy(value))

    return test


@handles(nodes.Cond)
def compile_cond(node: nodes.Cond, ctx: Ctx, tail: bool) -> Eval:
    shape = ctx.shape
    ctx = ctx.replace(shape=None)
    arms: list[tuple[Eval | None, Eval, bool, str]] = []
    for position, arm in enumerate(node.arms):
        test = None if arm.test is None else _truthy_test(compile_expr(arm.test, ctx))
        result = compile_expr(arm.result, ctx, tail and not node.collect_all and shape is None)
        label = arm.label or f"cond_branch_{position}"
        if ctx.unit.traced:
            result = in_branch(label, result, collect_all=node.collect_all)
        arms.append((test, result, binds_directly(arm.result), label))

    if node.collect_all:

        def cond_all(scope: Scope) -> Any:
            out: list[tuple[str, Any]] = []
            for test, result, own_scope, label in arms:
                if test is None or test(scope):
                    out.append((label, result(Scope({}, scope) if own_scope else scope)))
            return collected(out, shape)

        return traced_flow("cond-all", cond_all) if ctx.unit.traced else cond_all

    def cond(scope: Scope) -> Any:
        for test, result, own_scope, label in arms:
            if test is None or test(scope):
                return single(label, result(Scope({}, scope) if own_scope else scope), shape)
        return None

    return traced_flow("cond", cond) if ctx.unit.traced else cond
