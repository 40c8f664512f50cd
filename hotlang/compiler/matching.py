"""Compiling ``match``/``match-all`` and ``parallel`` flows, and the ``All<…>`` result shapes (spec §3.5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import compile_expr, compile_statement, handles
from hotlang.compiler.names import bound_names, referenced_names
from hotlang.compiler.values import compile_qualified, compile_ref
from hotlang.errors import HotRuntimeError, is_uncatchable
from hotlang.runtime.equality import hot_eq
from hotlang.runtime.functions import Eval, Scope
from hotlang.runtime.limits import run_concurrently
from hotlang.runtime.results import consume
from hotlang.runtime.tracing import current_tracer, flow_span, in_branch, traced_flow
from hotlang.runtime.typevalues import ANY_PATH, BUILTIN, BUILTIN_NAMES, path_matches, type_path_of, value_type_path
from hotlang.runtime.values import RESULT_ERR, RESULT_OK, Tagged, Thunk, force
from hotlang.syntax import nodes

RESULT = BUILTIN + "Result"


def shape_of(annotation: nodes.TypeExpr | None) -> str | None:
    """``All`` → "all", ``All<Vec>`` → "vec", ``All<Map>`` → "map", another type → "single"."""
    if annotation is None:
        return None
    if isinstance(annotation, nodes.TypeName) and annotation.name.rpartition("/")[2] == "All":
        if not annotation.args:
            return "all"
        inner = annotation.args[0]
        if isinstance(inner, nodes.TypeName) and inner.name.rpartition("/")[2] == "Vec":
            return "vec"
        return "map"
    return "single"


def collected(results: list[tuple[str, Any]], shape: str | None) -> Any:
    """The value of a collect-all flow (parallel, cond-all, match-all) in the requested shape."""
    if shape == "vec":
        return [value for _key, value in results]
    if shape == "single":
        return results[-1][1] if results else None
    return dict(results)


def single(key: str, value: Any, shape: str | None) -> Any:
    """The value of a cond/match under an ``All<…>`` annotation."""
    if shape == "vec":
        return [value]
    if shape == "map":
        return {key: value}
    return value


def _type_resolver(pattern: nodes.PatternType, ctx: Ctx) -> Any:
    """A function from scope to the type path a type atom stands for."""
    name = pattern.name
    suffix = f".{pattern.variant}" if pattern.variant else ""
    if "/" in name:
        namespace, _, short = name.rpartition("/")
        lookup = compile_qualified(nodes.QualifiedRef(pattern.line, pattern.column, namespace, short), ctx, False)
    else:
        lookup = compile_ref(nodes.Ref(pattern.line, pattern.column, name), ctx, False)
        short = name

    def resolve(scope: Scope) -> str:
        try:
            value = lookup(scope)
        except HotRuntimeError as error:
            if short in BUILTIN_NAMES and not is_uncatchable(error):
                return BUILTIN + short + suffix
            raise
        path = type_path_of(value)
        if path is None:
            if short in BUILTIN_NAMES:
                return BUILTIN + short + suffix
            raise HotRuntimeError(f"`{name}` is not a type, so it cannot be a match pattern")
        if pattern.variant and type(value) is Tagged:
            return path
        return path + suffix

    return resolve


class _Arm:
    __slots__ = ("binding", "key", "own_scope", "result", "tests")

    def __init__(self, tests: list[tuple[str, Any]] | None, binding: str | None, result: Eval, key: str, own: bool):
        self.tests = tests
        self.binding = binding
        self.result = result
        self.key = key
        self.own_scope = own


@handles(nodes.Match)
def compile_match(node: nodes.Match, ctx: Ctx, tail: bool) -> Eval:
    shape = ctx.shape
    inner = ctx.replace(shape=None)
    subject = compile_expr(node.subject, inner)
    subject_name = node.subject.name if isinstance(node.subject, nodes.Ref) else None
    arms: list[_Arm] = []
    for position, arm in enumerate(node.arms):
        tests: list[tuple[str, Any]] | None = None
        if arm.patterns is not None:
            tests = []
            for pattern in arm.patterns:
                if isinstance(pattern, nodes.PatternValue):
                    tests.append(("value", compile_expr(pattern.value, inner)))
                else:
                    tests.append(("type", (_type_resolver(pattern, inner), pattern.nullable)))
        key = " | ".join(p.text for p in arm.patterns) if arm.patterns else "_"
        arm_names = {arm.binding} if arm.binding else set()
        if subject_name is not None:
            arm_names.add(subject_name)
        arm_ctx = inner.replace(local_names=inner.local_names | arm_names | bound_names(arm.result))
        result = compile_expr(arm.result, arm_ctx, tail and not node.collect_all and shape is None)
        if ctx.unit.traced:
            result = in_branch(key or f"match_branch_{position}", result, collect_all=node.collect_all)
        arms.append(_Arm(tests, arm.binding, result, key or f"match_branch_{position}", True))

    def resolved_paths(scope: Scope) -> list[list[tuple[str, Any, bool]]]:
        table: list[list[tuple[str, Any, bool]]] = []
        for arm in arms:
            row: list[tuple[str, Any, bool]] = []
            for kind, test in arm.tests or ():
                if kind == "value":
                    row.append(("value", test(scope), False))
                else:
                    resolve, nullable = test
                    row.append(("type", resolve(scope), nullable))
            table.append(row)
        return table

    def run(scope: Scope) -> Any:
        value = subject(scope)
        if type(value) is Thunk:
            value = force(value)
        table = resolved_paths(scope)
        result_mode = any(
            kind == "type" and (path == RESULT or path.startswith(RESULT + "."))
            for row in table
            for kind, path, _ in row
        )
        if result_mode:
            if not (type(value) is Tagged and value.kind in (1, 2)):
                value = Tagged(RESULT_OK, value)
            plain = value
        else:
            plain = value.payload if type(value) is Tagged and value.kind == 1 else value
        matched: list[tuple[str, Any]] = []
        for arm, row in zip(arms, table, strict=True):
            if arm.tests is not None and not _arm_matches(plain, row):
                continue
            arm_scope = Scope({}, scope)
            bound = plain
            if result_mode and row and all(kind == "type" and path in (RESULT_OK, RESULT_ERR) for kind, path, _ in row):
                bound = plain.payload
                if subject_name is not None:
                    arm_scope.vars[subject_name] = bound
            if arm.binding is not None:
                arm_scope.vars[arm.binding] = bound
            outcome = arm.result(arm_scope)
            if not node.collect_all:
                return single(arm.key, outcome, shape)
            matched.append((arm.key, outcome))
        if not node.collect_all:
            return None
        return collected(matched, shape)

    if ctx.unit.traced:
        return traced_flow("match-all" if node.collect_all else "match", run)
    return run


def _arm_matches(value: Any, row: list[tuple[str, Any, bool]]) -> bool:
    for kind, expected, nullable in row:
        if kind == "value":
            if hot_eq(value, expected):
                return True
            continue
        if nullable and value is None:
            return True
        if expected == ANY_PATH or path_matches(value_type_path(value), expected):
            return True
    return False


@handles(nodes.Parallel)
def compile_parallel(node: nodes.Parallel, ctx: Ctx, tail: bool) -> Eval:
    """Branches run concurrently, level by level: a branch waits for the bindings it references (spec §3.5)."""
    shape = ctx.shape
    inner = ctx.replace(shape=None)
    steps: list[tuple[str | None, Eval]] = []
    level_of: dict[str, int] = {}
    levels: list[list[int]] = []
    hidden = 0
    for index, statement in enumerate(node.statements):
        if isinstance(statement, nodes.Binding) and statement.target.path:
            raise ctx.error("deep assignment is not allowed inside `parallel`", statement)
        name = statement.target.name if isinstance(statement, nodes.Binding) else None
        if name is None and node.hidden_names:
            name, hidden = f"$var_{hidden}", hidden + 1
        steps.append((name, compile_statement(statement, inner, False)))
        needs = referenced_names(statement.value if isinstance(statement, nodes.Binding) else statement)
        level = 1 + max((level_of[n] for n in needs if n in level_of), default=-1)
        if name is not None:
            level_of[name] = level
        while len(levels) <= level:
            levels.append([])
        levels[level].append(index)

    traced = ctx.unit.traced

    def run(scope: Scope) -> Any:
        values: dict[int, Any] = {}
        for level in levels:
            branches = [_bound(steps[index][1], scope, steps[index][0] if traced else None) for index in level]
            for index, value in zip(level, run_concurrently(branches), strict=True):
                values[index] = value
        results = [(name, values[index]) for index, (name, _step) in enumerate(steps) if name is not None]
        return collected(results, shape)

    return traced_flow("parallel", run) if ctx.unit.traced else run


def _bound(step: Eval, scope: Scope, branch: str | None) -> Callable[[], Any]:
    """One branch, ready to run; in a traced run with a `branch` name, inside its own span."""
    if branch is None:
        return lambda: step(scope)

    def run() -> Any:
        tracer = current_tracer()
        if tracer is None:
            return step(scope)
        with flow_span(tracer, "parallel", {"hot.flow.branch": branch}):
            return step(scope)

    return run


@handles(nodes.Raw)
def compile_raw(node: nodes.Raw, ctx: Ctx, tail: bool) -> Eval:
    """``!expr``: the value as is, an Ok unwrapped, an Err kept as a value."""
    inner = compile_expr(node.expr, ctx)

    def raw(scope: Scope) -> Any:
        value = inner(scope)
        if type(value) is Thunk:
            value = force(value)
        if type(value) is Tagged and value.kind == 1:
            return consume(value)
        return value

    return raw
