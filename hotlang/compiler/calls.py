"""Compiling calls and pipes: argument preparation, laziness, tail calls, inlined logic.

Arguments are prepared at the call site once the callee is known: lazy
positions receive a :class:`~hotlang.runtime.values.Thunk`, strict ones are evaluated
left to right and consumed (Ok unwraps, Err halts before the callee runs).
When a halt passes a call site, the site adds its frame to the Hot stack.
"""

from __future__ import annotations

from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import compile_expr, handles
from hotlang.compiler.generated import CompiledFunction
from hotlang.compiler.traced import TracedFunction
from hotlang.compiler.values import compile_ref, settle
from hotlang.errors import Frame, HotLimitExceeded, HotRuntimeError, is_uncatchable, python_error
from hotlang.runtime.functions import Eval, Function, FunctionAlias, Native, Scope, TailCall
from hotlang.runtime.values import FunctionValue, Tagged, Thunk, force, is_truthy, type_name
from hotlang.syntax import nodes
from hotlang.syntax.placeholders import as_lambda, lower_call_args

INLINED = ("if", "and", "or")


def resolve_callable(value: Any, ctx: Ctx, node: nodes.Node) -> FunctionValue:
    """The function to call, or a halt saying what the value is instead."""
    if type(value) is FunctionAlias:
        value = value.target()
    if isinstance(value, FunctionValue):
        return value
    if type(value) is Thunk:
        return resolve_callable(force(value), ctx, node)
    callee = node.callee if isinstance(node, nodes.Call) else node
    name = f"`{callee.name}`" if isinstance(callee, nodes.Ref) else "this value"
    error = HotRuntimeError(f"{name} is not a function (it is {type_name(value)})")
    error.add_frame(ctx.frame(node))
    raise error


def _too_deep(frame: Frame) -> HotRuntimeError:
    error = HotLimitExceeded("maximum call depth exceeded (the recursion is too deep)", limit="call depth")
    error.add_frame(frame)
    return error


def invoke(fn: FunctionValue, args: list[Any], frame: Frame) -> Any:
    """Call ``fn``; a halt passing through records ``frame``."""
    try:
        return fn.call(args)
    except HotRuntimeError as error:
        error.add_frame(frame)
        raise
    except RecursionError:
        raise _too_deep(frame) from None


def _prepare(arg_evals: list[Eval], lazy: frozenset[int], scope: Scope, offset: int = 0) -> list[Any]:
    args: list[Any] = []
    if not lazy:
        for evaluate in arg_evals:
            value = evaluate(scope)
            kind = type(value)
            if kind is Tagged or kind is Thunk:
                value = settle(value)
            args.append(value)
        return args
    for position, evaluate in enumerate(arg_evals, offset):
        if position in lazy:
            args.append(Thunk(evaluate, scope))
        else:
            args.append(settle(evaluate(scope)))
    return args


def _prepare_spread(parts: list[tuple[bool, Eval]], scope: Scope) -> list[Any]:
    args: list[Any] = []
    for spread, evaluate in parts:
        value = settle(evaluate(scope))
        if not spread:
            args.append(value)
        elif type(value) is list:
            args.extend(value)
        elif value is not None:
            raise HotRuntimeError(f"only a Vec can be spread into arguments, got {type_name(value)}")
    return args


@handles(nodes.Call)
def compile_call(node: nodes.Call, ctx: Ctx, tail: bool) -> Eval:
    node = lower_call_args(node)
    callee_node = node.callee
    has_spread = any(isinstance(arg, nodes.Spread) for arg in node.args)
    if (
        isinstance(callee_node, nodes.Ref)
        and callee_node.name in INLINED
        and callee_node.name not in ctx.local_names
        and not has_spread
    ):
        return _compile_inlined(node, callee_node.name, ctx, tail)
    return _compile_plain_call(node, ctx, tail)


def _compile_plain_call(node: nodes.Call, ctx: Ctx, tail: bool) -> Eval:
    callee = compile_expr(node.callee, ctx)
    frame = ctx.frame(node)
    if any(isinstance(arg, nodes.Spread) for arg in node.args):
        parts = [
            (isinstance(a, nodes.Spread), compile_expr(a.expr if isinstance(a, nodes.Spread) else a, ctx))
            for a in node.args
        ]

        def call_with_spread(scope: Scope) -> Any:
            fn = resolve_callable(callee(scope), ctx, node)
            try:
                args = _prepare_spread(parts, scope)
            except HotRuntimeError as error:
                error.add_frame(frame)
                raise
            return invoke(fn, args, frame)

        return call_with_spread

    arg_evals = [compile_expr(arg, ctx) for arg in node.args]
    self_tail = tail and isinstance(node.callee, nodes.Ref) and node.callee.name == ctx.self_name

    if self_tail:

        def tail_call(scope: Scope) -> Any:
            fn = resolve_callable(callee(scope), ctx, node)
            args = _prepare(arg_evals, fn.lazy_positions(len(arg_evals)), scope)
            if type(fn) is Function:
                return TailCall(fn, args)
            if type(fn) is CompiledFunction or type(fn) is TracedFunction:
                return TailCall(fn.closure, args)
            return invoke(fn, args, frame)

        return tail_call

    def call(scope: Scope) -> Any:
        fn = callee(scope)
        if not isinstance(fn, FunctionValue) or type(fn) is FunctionAlias:
            fn = resolve_callable(fn, ctx, node)
        args = _prepare(arg_evals, fn.lazy, scope)
        try:
            return fn.call(args)
        except HotRuntimeError as error:
            error.add_frame(frame)
            raise
        except RecursionError:
            raise _too_deep(frame) from None

    if len(arg_evals) == 1:
        return _fast_native_call_1(callee, arg_evals[0], call, frame)
    if len(arg_evals) == 2:
        return _fast_native_call_2(callee, arg_evals[0], arg_evals[1], call, frame)
    return call


def _native_failed(fn: Native, exc: Exception, frame: Frame) -> HotRuntimeError:
    error = python_error(exc, f"{fn.name} failed: ")
    error.add_frame(frame)
    return error


def _fast_native_call_1(callee: Eval, first: Eval, general: Eval, frame: Frame) -> Eval:
    """One-argument call site with a direct path for strict natives (the common case)."""

    def call_1(scope: Scope) -> Any:
        fn = callee(scope)
        if type(fn) is not Native or fn.lazy or fn.min_args > 1 or (fn.max_args is not None and fn.max_args < 1):
            return general(scope)
        a = first(scope)
        if type(a) is Tagged or type(a) is Thunk:
            a = settle(a)
        try:
            return fn.fn(a)
        except HotRuntimeError as error:
            error.add_frame(frame)
            raise
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - any bug in a native becomes a Hot halt
            raise _native_failed(fn, exc, frame) from None

    return call_1


def _fast_native_call_2(callee: Eval, first: Eval, second: Eval, general: Eval, frame: Frame) -> Eval:
    """Two-argument call site with a direct path for strict natives (``add``, ``eq``, …)."""

    def call_2(scope: Scope) -> Any:
        fn = callee(scope)
        if type(fn) is not Native or fn.lazy or fn.min_args > 2 or (fn.max_args is not None and fn.max_args < 2):
            return general(scope)
        a = first(scope)
        if type(a) is Tagged or type(a) is Thunk:
            a = settle(a)
        b = second(scope)
        if type(b) is Tagged or type(b) is Thunk:
            b = settle(b)
        try:
            return fn.fn(a, b)
        except HotRuntimeError as error:
            error.add_frame(frame)
            raise
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - any bug in a native becomes a Hot halt
            raise _native_failed(fn, exc, frame) from None

    return call_2


def _test(evaluate: Eval, scope: Scope) -> tuple[bool, Any]:
    """Evaluate a logic operand: Err and halts count as falsy (spec §3.4)."""
    try:
        value = force(evaluate(scope))
    except HotRuntimeError as error:
        if is_uncatchable(error):
            raise
        return False, None
    return is_truthy(value), value


def _compile_inlined(node: nodes.Call, name: str, ctx: Ctx, tail: bool) -> Eval:
    """``if``/``and``/``or`` evaluated in place when the name still means the core function."""
    resolve = compile_ref(nodes.Ref(node.line, node.column, name), ctx, False)
    core_fn = ctx.unit.core.get(name)
    general = _compile_plain_call(node, ctx, False)
    operands = [
        compile_expr(arg, ctx, tail and position > 0 and name == "if") for position, arg in enumerate(node.args)
    ]

    if name == "if" and len(operands) in (2, 3):
        condition, then = operands[0], operands[1]
        otherwise = operands[2] if len(operands) == 3 else None

        def inline_if(scope: Scope) -> Any:
            if resolve(scope) is not core_fn:
                return general(scope)
            test = force(condition(scope))
            # spec §3.7: Err is falsy in `if` (as in cond, and, or); Ok(x) is as truthy as x
            if test is None or test is False or (type(test) is Tagged and not is_truthy(test)):
                return otherwise(scope) if otherwise is not None else None
            return then(scope)

        return inline_if

    if name in ("and", "or") and operands:
        want_truthy = name == "or"

        def inline_logic(scope: Scope) -> Any:
            if resolve(scope) is not core_fn:
                return general(scope)
            value: Any = None
            for operand in operands:
                truthy, value = _test(operand, scope)
                if truthy is want_truthy:
                    return value
            return value

        return inline_logic

    return general


@handles(nodes.Pipe)
def compile_pipe(node: nodes.Pipe, ctx: Ctx, tail: bool) -> Eval:
    first = compile_expr(node.stages[0], ctx)
    stages: list[tuple[Eval, list[Eval], nodes.Node]] = []
    for stage in node.stages[1:]:
        if isinstance(stage, nodes.Call) and not any(isinstance(arg, nodes.Spread) for arg in stage.args):
            stages.append((compile_expr(stage.callee, ctx), [compile_expr(arg, ctx) for arg in stage.args], stage))
        else:
            stages.append((compile_expr(stage, ctx), [], stage))

    def pipe(scope: Scope) -> Any:
        value = first(scope)
        for callee, arg_evals, stage in stages:
            fn = resolve_callable(callee(scope), ctx, stage)
            lazy = fn.lazy_positions(len(arg_evals) + 1)
            piped = value if 0 in lazy else settle(value)
            value = invoke(fn, [piped, *_prepare(arg_evals, lazy, scope, offset=1)], ctx.frame(stage))
        return value

    return pipe


@handles(nodes.PlaceholderBoundary)
def compile_placeholder_boundary(node: nodes.PlaceholderBoundary, ctx: Ctx, tail: bool) -> Eval:
    return compile_expr(as_lambda(node.expr), ctx)


@handles(nodes.Placeholder)
def compile_placeholder(node: nodes.Placeholder, ctx: Ctx, tail: bool) -> Eval:
    raise ctx.error(
        "this `%` is not inside an argument that takes a function; write the lambda, or mark it with `%(…)`", node
    )
