"""The fast backend: a top-level function's AST → Python source → ``compile()``.

Closures (the rest of :mod:`hotlang.compiler`) cost several Python calls per
Hot node. For the code that matters for speed (arithmetic, comparisons,
calls between named functions, lambdas given to ``map``/``filter``,
templates, literals) this module writes an equivalent Python function
instead: Hot locals become Python locals, core arithmetic on Ints becomes
Python operators behind a type guard, a call to another named function is a
direct Python call, and a self call in tail position becomes a loop.

Anything the generator does not handle natively is still correct: an
expression that binds no names is *escaped*, that is compiled by the closure
compiler and called with a scope holding the Python locals it reads. A
function that cannot be generated at all keeps running on closures.
Generation happens on the first call, when every namespace is loaded, so the
generator can see what each name refers to.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hotlang.compiler.context import Ctx
from hotlang.compiler.dispatch import compile_expr, compile_statement
from hotlang.compiler.generated import (
    SLOW_TYPES,
    TEMPLATE_UNCHECKED,
    CompiledFunction,
    LambdaFunction,
    frame_at,
    global_lookup,
    internal_error,
    predicate_truth,
    settle_arg,
    template_text,
    to_text,
    truthy,
)
from hotlang.compiler.matching import shape_of
from hotlang.compiler.names import bound_names, referenced_names
from hotlang.errors import Frame, HotError, HotRuntimeError
from hotlang.runtime.access import read_field, read_index
from hotlang.runtime.functions import MISSING, Native, Scope
from hotlang.runtime.limits import check_int
from hotlang.runtime.results import halt_on_err
from hotlang.runtime.values import force
from hotlang.syntax import nodes
from hotlang.syntax.placeholders import lower_call_args

_DUMP = bool(os.environ.get("HOT_DUMP_PY"))
"""Set ``HOT_DUMP_PY=1`` to print every generated function (for debugging the generator)."""


class Unsupported(Exception):
    """The generator gives up on this function; it keeps running on closures."""


def _mangle(name: str) -> str:
    return "v_" + name.replace("_", "_U").replace("-", "_H").replace("$", "_D")


# Core natives written as Python operators when both operands are Ints (or same-type Int/Str for eq).
_INT_OPS = {"add": "+", "sub": "-", "mul": "*", "lt": "<", "gt": ">", "lte": "<=", "gte": ">="}
_BOOL_OPS = {"lt", "gt", "lte", "gte", "eq", "ne"}


class _FnGen:
    """Locals of the Python function being written (a top-level function or a lambda)."""

    def __init__(self, params: list[str], self_name: str | None) -> None:
        self.locals: set[str] = set(params)
        self.bound: set[str] = set(params)
        self.plain: set[str] = set(params)
        self.self_name = self_name
        self.tail_loop = False


class Generator:
    """Writes one top-level function (and its lambdas) as Python source."""

    def __init__(self, fn: CompiledFunction) -> None:
        self.fn = fn
        self.ctx: Ctx = fn._ctx
        self.unit = self.ctx.unit
        self.env: dict[str, Any] = {
            "_S": settle_arg,
            "SLOW_TYPES": SLOW_TYPES,
            "_SIMPLE": frozenset({int, str}),
            "_T": truthy,
            "_TS": to_text,
            "_TXT": template_text,
            "_TEMPLATE_UNCHECKED": TEMPLATE_UNCHECKED,
            "_SMALL": 1 << 62,
            "_CKI": check_int,
            "_RF": read_field,
            "_RI": read_index,
            "_F": force,
            "_M": MISSING,
            "_G": self.unit.globals,
            "_CORE": self.unit.core,
            "_Sc": Scope,
            "_CF": CompiledFunction,
            "_LF": LambdaFunction,
            "HotRuntimeError": HotRuntimeError,
            "HotError": HotError,
            "internal_error": internal_error,
            "_H": halt_on_err,
            "_AT": frame_at,
            "_LINES": {},
        }
        self.sites: dict[str, Frame | None] = {}
        self.counter = itertools.count()
        self.factories: list[str] = []

    # -- helpers ---------------------------------------------------------------

    def const(self, value: Any) -> str:
        name = f"_k{next(self.counter)}"
        self.env[name] = value
        return name

    def mark(self, code: str, node: Any, *, escaped: bool = False) -> str:
        """Put a call site on its own generated line so a halt there is reported at ``node``."""
        marker = f"@{next(self.counter)}"
        self.sites[marker] = None if escaped else Frame(self.fn.name, self.unit.file, node.line, node.column)
        return f"(  #{marker}\n{code})"

    def tmp(self) -> str:
        return f"_t{next(self.counter)}"

    def resolve(self, name: str) -> Any:
        value = self.unit.globals.get(name, MISSING)
        if value is MISSING:
            value = self.unit.core.get(name, MISSING)
        return value

    def is_core(self, name: str, value: Any) -> bool:
        return name not in self.unit.globals and self.unit.core.get(name, MISSING) is value

    # -- expressions -----------------------------------------------------------

    def settled(self, node: Any, g: _FnGen) -> str:
        code, kind = self.expr(node, g)
        if kind != "unknown":
            return code
        if code.isidentifier():
            return f"({code} if type({code}) not in SLOW_TYPES else _S({code}))"
        t = self.tmp()
        return f"({t} if type({t} := {code}) not in SLOW_TYPES else _S({t}))"

    def escape(self, node: Any, g: _FnGen) -> tuple[str, str]:
        """Evaluate ``node`` with the closure compiler, in a scope built from the Python locals."""
        if bound_names(node):
            raise Unsupported("a nested expression binds names")
        names = sorted(referenced_names(node) & g.locals)
        if any(name not in g.bound for name in names):
            raise Unsupported("a name is used before it is bound")
        ctx = self.ctx.replace(local_names=frozenset(names), self_name=None, top_level=False)
        evaluate = self.const(compile_expr(node, ctx))
        scope = "{" + ", ".join(f"{name!r}: {_mangle(name)}" for name in names) + "}"
        return self.mark(f"{evaluate}(_Sc({scope}, None))", node, escaped=True), "unknown"

    def expr(self, node: Any, g: _FnGen) -> tuple[str, str]:
        """Python code for ``node`` and what it yields: "bool", "plain" (never a Result) or "unknown"."""
        if isinstance(node, nodes.Const):
            value = node.value
            if value is None or type(value) in (bool, int, str):
                return repr(value), "bool" if type(value) is bool else "plain"
            if type(value) is Decimal:
                return self.const(value), "plain"
            return self.escape(node, g)
        if isinstance(node, nodes.Ref):
            name = node.name
            if name in g.locals:
                if name not in g.bound:
                    raise Unsupported("a name is used before it is bound")
                return _mangle(name), "plain" if name in g.plain else "unknown"
            t = self.tmp()
            lookup = self.const(global_lookup)
            return f"({t} if ({t} := _G.get({name!r}, _M)) is not _M else {lookup}(_CORE, {name!r}))", "unknown"
        if isinstance(node, nodes.Template):
            parts: list[str] = []
            for part in node.parts:
                if isinstance(part, str):
                    parts.append(repr(part))
                else:
                    code, _kind = self.expr(part, g)
                    t = self.tmp()
                    parts.append(f"({t} if type({t} := {code}) is str else _TS({t}))")
            if not parts:
                return "''", "plain"
            t = self.tmp()
            joined = "(" + " + ".join(parts) + ")"
            return f"({t} if len({t} := {joined}) < _TEMPLATE_UNCHECKED else _TXT({t}))", "plain"
        if isinstance(node, nodes.VectorLit) and not any(isinstance(i, nodes.Spread) for i in node.items):
            return "[" + "".join(self.expr(item, g)[0] + ", " for item in node.items) + "]", "plain"
        if isinstance(node, nodes.MapLit) and all(isinstance(e, nodes.MapEntry) for e in node.entries):
            entries = [f"{entry.key!r}: {self.expr(entry.value, g)[0]}" for entry in node.entries]  # type: ignore[union-attr]
            return "{" + ", ".join(entries) + "}", "plain"
        if isinstance(node, nodes.Field):
            code, _kind = self.expr(node.target, g)
            t = self.tmp()
            return f"({t}.get({node.name!r}) if type({t} := {code}) is dict else _RF({t}, {node.name!r}))", "unknown"
        if isinstance(node, nodes.Index):
            target, _kind = self.expr(node.target, g)
            return f"_RI({target}, {self.settled(node.key, g)})", "unknown"
        if isinstance(node, nodes.Do):
            return f"_F({self.expr(node.expr, g)[0]})", "unknown"
        if isinstance(node, nodes.Pipe):
            return self.expr(_pipe_as_calls(node), g)
        if isinstance(node, nodes.Lambda):
            return self.lambda_expr(node, g)
        if isinstance(node, nodes.Call):
            return self.call(node, g)
        if isinstance(node, nodes.Cond) and not node.collect_all and not bound_names(node):
            code = "None"
            for arm in reversed(node.arms):
                result, _kind = self.expr(arm.result, g)
                code = result if arm.test is None else f"({result} if {self.truth(arm.test, g)} else {code})"
            return code, "unknown"
        if isinstance(node, nodes.Block) and not bound_names(node):
            items = [s.expr for s in node.statements if isinstance(s, nodes.ExprStatement)]
            if len(items) == len(node.statements) and items:
                codes = [self.expr(item, g) for item in items]
                if len(codes) == 1:
                    return codes[0]
                return "(" + ", ".join(c for c, _ in codes) + ")[-1]", codes[-1][1]
        return self.escape(node, g)

    def truth(self, node: Any, g: _FnGen) -> str:
        """A truthiness test where Err counts as falsy (cond arms)."""
        code, kind = self.expr(node, g)
        if kind == "bool":
            return code
        t = self.tmp()
        if kind == "plain":
            return f"(({t} := {code}) is not None and {t} is not False)"
        return f"(({t} := {code}) is not None and {t} is not False and (type({t}) not in SLOW_TYPES or _T({t})))"

    def strict_truth(self, node: Any, g: _FnGen) -> str:
        """``if``'s condition: Err and Ok(false/null) are falsy (spec §3.7)."""
        code, kind = self.expr(node, g)
        if kind == "bool":
            return code
        t = self.tmp()
        if kind == "plain":
            return f"(({t} := {code}) is not None and {t} is not False)"
        return f"(({t} := {code}) is not None and {t} is not False and (type({t}) not in SLOW_TYPES or _T({t})))"

    def call(self, node: nodes.Call, g: _FnGen) -> tuple[str, str]:
        node = lower_call_args(node)
        callee = node.callee
        if any(isinstance(arg, nodes.Spread) for arg in node.args) or not isinstance(callee, nodes.Ref):
            return self.escape(node, g)
        name = callee.name
        if name in g.locals:
            return self.escape(node, g)
        target = self.resolve(name)
        args = node.args
        if name == "if" and len(args) in (2, 3) and self.is_core(name, target):
            then = self.expr(args[1], g)
            otherwise = self.expr(args[2], g) if len(args) == 3 else ("None", "plain")
            kind = then[1] if then[1] == otherwise[1] else "unknown"
            return f"({then[0]} if {self.strict_truth(args[0], g)} else {otherwise[0]})", kind
        if name in ("map", "filter") and self.is_core(name, target) and len(args) == 2:
            comprehension = self.comprehension(name, target, node, g)
            if comprehension is not None:
                return self.mark(comprehension, node), "plain"
        if type(target) is Native and not target.lazy:
            if len(args) < target.min_args or (target.max_args is not None and len(args) > target.max_args):
                return self.escape(node, g)
            if len(args) == 2 and self.is_core(name, target):
                inline = self.inline_op(name, target, args, g)
                if inline is not None:
                    return self.mark(inline[0], node), inline[1]
            fn = self.const(target.fn)
            kind = "bool" if name in _BOOL_OPS and self.is_core(name, target) else "unknown"
            return self.mark(f"{fn}(" + ", ".join(self.settled(a, g) for a in args) + ")", node), kind
        if type(target) is CompiledFunction and len(args) == target.arity:
            # Named functions are hoisted and not rebound, so the call goes straight to the one found now.
            callee_fn = self.const(target)
            settled = ", ".join(self.settled(a, g) for a in args)
            return self.mark(f"{callee_fn}.py({settled})", node), "unknown"
        return self.escape(node, g)

    def inline_op(self, name: str, native: Native, args: tuple[Any, ...], g: _FnGen) -> tuple[str, str] | None:
        if name not in _INT_OPS and name not in ("eq", "ne", "mod"):
            return None
        left, left_test = self.operand(args[0], g)
        right, right_test = self.operand(args[1], g)
        fn = self.const(native.fn)
        fallback = f"{fn}(_S({left}), _S({right}))"
        tests = [test for test in (left_test, right_test) if test]
        test = f"({tests[0]}) & ({tests[1]})" if len(tests) == 2 else tests[0] if tests else "True"
        if name in ("eq", "ne"):
            op = "==" if name == "eq" else "!="
            return f"({left} {op} {right} if {test} else {fallback})", "bool"
        if name == "mod":
            signs = [f"{side} {op} 0" for side, op in ((left, ">="), (right, ">")) if not side.lstrip("-").isdigit()]
            if right.isdigit() and int(right) > 0:
                kind = "plain"
            elif right.lstrip("-").isdigit():
                return None
            else:
                kind = "unknown"
            if left.lstrip("-").isdigit() and int(left) < 0:
                return None
            condition = " and ".join([test, *signs]) if test != "True" or signs else "True"
            return f"({left} % {right} if {condition} else {fallback})", kind
        kind = "bool" if name in _BOOL_OPS else "plain"
        op = _INT_OPS[name]
        if name == "mul":
            # only small operands multiply inline; big ones go to the native, which checks max_int_digits first
            small = f"-_SMALL < {left} < _SMALL and -_SMALL < {right} < _SMALL"
            return f"({left} * {right} if {test} and {small} else {fallback})", kind
        if name in ("add", "sub"):
            t = self.tmp()
            checked = f"({t} if -_SMALL < ({t} := {left} {op} {right}) < _SMALL else _CKI({t}, {name!r}))"
            return f"({checked} if {test} else {fallback})", kind
        return f"({left} {op} {right} if {test} else {fallback})", kind

    def operand(self, node: Any, g: _FnGen) -> tuple[str, str]:
        """An operand of an inlined Int operation: its name (evaluated once) and its ``is int`` test."""
        if isinstance(node, nodes.Const) and type(node.value) is int:
            return repr(node.value), ""
        code, _kind = self.expr(node, g)
        if code.isidentifier():
            return code, f"type({code}) is int"
        t = self.tmp()
        return t, f"type({t} := {code}) is int"

    def comprehension(self, name: str, native: Native, node: nodes.Call, g: _FnGen) -> str | None:
        """``map``/``filter`` of a one-expression lambda over a plain Vec, written as a list comprehension."""
        fn = node.args[1]
        if not isinstance(fn, nodes.Lambda) or len(fn.params) != 1 or fn.params[0].lazy or fn.params[0].rest:
            return None
        statements = fn.body.statements
        if len(statements) != 1 or not isinstance(statements[0], nodes.ExprStatement) or bound_names(fn.body):
            return None
        param = fn.params[0].name
        collection = self.settled(node.args[0], g)
        saved = (set(g.locals), set(g.bound), set(g.plain))
        g.locals.add(param)
        g.bound.add(param)
        g.plain.add(param)
        try:
            body, kind = self.expr(statements[0].expr, g)
        except Unsupported:
            return None
        finally:
            g.locals, g.bound, g.plain = saved
        lambda_code, _kind = self.lambda_expr(fn, g)
        items, result, var = self.tmp(), self.tmp(), _mangle(param)
        fallback = f"{self.const(native.fn)}({items}, {lambda_code})"
        if name == "map":
            value = (
                body
                if kind != "unknown"
                else f"({result} if type({result} := {body}) not in SLOW_TYPES else _H({result}))"
            )
            loop = f"[{value} for {var} in {items}]"
        else:
            keep = self.const(predicate_truth)
            slow_test = f"({result} is not False and {result} is not None and {keep}({result}))"
            test = body if kind == "bool" else f"(({result} := {body}) is True or {slow_test})"
            loop = f"[{var} for {var} in {items} if {test}]"
        plain_vec = f"type({items} := {collection}) is list and SLOW_TYPES.isdisjoint(map(type, {items}))"
        return f"({loop} if {plain_vec} else {fallback})"

    def lambda_expr(self, node: nodes.Lambda, g: _FnGen) -> tuple[str, str]:
        params = [param.name for param in node.params]
        if node.flow != "serial" or any(param.lazy or param.rest for param in node.params):
            return self.escape(node, g)
        captured = sorted((referenced_names(node.body) - set(params)) & g.locals)
        if any(name not in g.bound for name in captured):
            return self.escape(node, g)
        inner = _FnGen(params, None)
        inner.locals |= set(captured) | bound_names(node.body)
        inner.bound |= set(captured)
        inner.plain |= {name for name in captured if name in g.plain}
        try:
            body = self.body(node.body.statements, inner, 3)
        except Unsupported:
            return self.escape(node, g)
        index = next(self.counter)
        frame = self.const(Frame(f"{self.fn.name} <lambda>", self.unit.file, node.line, node.column))
        signature = ", ".join(_mangle(p) for p in params)
        self.factories.append(
            "\n".join(
                [
                    f"def _mk{index}({', '.join(_mangle(n) for n in captured)}):",
                    f"  def _lam{index}({signature}):",
                    *_guarded(body, frame, 3, loop=inner.tail_loop),
                    f"  return _lam{index}",
                ]
            )
        )
        name = self.const(f"{self.fn.name} <lambda>")
        return f"_LF(_mk{index}({', '.join(_mangle(n) for n in captured)}), {name}, {len(params)})", "plain"

    # -- statements ------------------------------------------------------------

    def body(self, statements: tuple[Any, ...], g: _FnGen, indent: int) -> list[str]:
        lines: list[str] = []
        pad = " " * indent
        if not statements:
            return [pad + "return None"]
        for statement in statements[:-1]:
            lines += self.statement(statement, g, indent)
        last = statements[-1]
        if isinstance(last, nodes.ExprStatement):
            lines += self.tail(last.expr, g, indent)
        else:
            lines += self.statement(last, g, indent)
            if isinstance(last, nodes.Binding):
                lines.append(pad + f"return {_mangle(last.target.name)}")
            else:
                lines.append(pad + "return None")
        return lines

    def statement(self, statement: Any, g: _FnGen, indent: int) -> list[str]:
        pad = " " * indent
        if isinstance(statement, nodes.ExprStatement):
            return [pad + self.expr(statement.expr, g)[0]]
        if not isinstance(statement, nodes.Binding) or isinstance(
            statement.value, (nodes.FnExpr, nodes.TypeDef, nodes.EnumDef, nodes.TypeAlias)
        ):
            raise Unsupported("statement")
        name = statement.target.name
        if shape_of(statement.target.type) is not None:
            raise Unsupported("an All<…> result shape")
        if statement.target.path:
            names = sorted((referenced_names(statement) | {name}) & g.locals)
            if any(n not in g.bound and n != name for n in names):
                raise Unsupported("a name is used before it is bound")
            ctx = self.ctx.replace(local_names=frozenset(names), self_name=None, top_level=False)
            evaluate = self.const(compile_statement(statement, ctx, tail=False))
            scope = self.tmp()
            entries = ", ".join(f"{n!r}: {_mangle(n)}" for n in names if n in g.bound)
            g.bound.add(name)
            g.plain.discard(name)
            return [
                pad + f"{scope} = _Sc({{{entries}}}, None)",
                pad + f"{evaluate}({scope})",
                pad + f"{_mangle(name)} = {scope}.vars[{name!r}]",
            ]
        code, kind = self.expr(statement.value, g)
        g.bound.add(name)
        if kind == "unknown":
            g.plain.discard(name)
        else:
            g.plain.add(name)
        return [pad + f"{_mangle(name)} = {code}"]

    def tail(self, node: Any, g: _FnGen, indent: int) -> list[str]:
        pad = " " * indent
        if isinstance(node, nodes.Block):
            return self.body(node.statements, g, indent)
        if isinstance(node, nodes.Call) and isinstance(node.callee, nodes.Ref) and node.callee.name not in g.locals:
            name = node.callee.name
            target = self.resolve(name)
            args = node.args
            if name == "if" and len(args) in (2, 3) and self.is_core(name, target) and not bound_names(node):
                lines = [pad + f"if {self.strict_truth(args[0], g)}:"]
                lines += self.tail(args[1], g, indent + 1)
                lines.append(pad + "else:")
                lines += self.tail(args[2], g, indent + 1) if len(args) == 3 else [pad + " return None"]
                return lines
            if (
                name == g.self_name
                and target is self.fn
                and len(args) == self.fn.arity
                and not any(isinstance(a, nodes.Spread) for a in args)
            ):
                g.tail_loop = True
                params = [_mangle(p.name) for p in self.fn._node.params]
                if not params:
                    return [pad + "continue"]
                values = ", ".join(self.settled(a, g) for a in args)
                return [pad + f"{', '.join(params)}, = {values},", pad + "continue"]
        if isinstance(node, nodes.Cond) and not node.collect_all and not bound_names(node):
            lines = []
            keyword = "if"
            for arm in node.arms:
                if arm.test is None:
                    lines.append(pad + ("else:" if keyword == "elif" else "if True:"))
                    lines += self.tail(arm.result, g, indent + 1)
                    return lines
                lines.append(pad + f"{keyword} {self.truth(arm.test, g)}:")
                lines += self.tail(arm.result, g, indent + 1)
                keyword = "elif"
            lines.append(pad + "return None")
            return lines
        return [pad + f"return {self.expr(node, g)[0]}"]


def _guarded(body: list[str], frame: str, indent: int, *, loop: bool) -> list[str]:
    """Wrap a function body so a halt passing through records this function's frame."""
    pad = " " * indent
    return [
        pad + "try:",
        pad + (" while True:" if loop else " if True:"),
        *(" " * 2 + line for line in body),
        pad + "except HotRuntimeError as _e:",
        pad + f" _site = _AT(_e, _LINES, {frame})",
        pad + " if _site is not None:",
        pad + "  _e.add_frame(_site)",
        pad + " raise",
        pad + "except (HotError, RecursionError):",
        pad + " raise",
        pad + "except Exception as _e:",
        pad + f" raise internal_error(_e, {frame}) from None",
    ]


def _pipe_as_calls(node: nodes.Pipe) -> Any:
    """``v |> f(a) |> g`` → ``g(f(v, a))`` (the piped value is a first argument)."""
    value = node.stages[0]
    for stage in node.stages[1:]:
        if isinstance(stage, nodes.Call):
            value = nodes.Call(stage.line, stage.column, stage.callee, (value, *stage.args))
        else:
            value = nodes.Call(stage.line, stage.column, stage, (value,))
    return value


def generate_function(fn: CompiledFunction) -> Callable[..., Any] | None:
    """The Python version of ``fn``, or None when it must keep running on closures."""
    generator = Generator(fn)
    node = fn._node
    params = [param.name for param in node.params]
    g = _FnGen(params, fn._ctx.self_name)
    g.locals |= bound_names(node.body)
    try:
        if isinstance(node.body, nodes.Block):
            body = generator.body(node.body.statements, g, 2)
        else:
            body = generator.tail(node.body, g, 2)
    except Unsupported:
        return None
    except HotError:
        return None  # the closure version reports the same problem when it runs
    frame = generator.const(Frame(fn.name, generator.unit.file, node.line, node.column))
    source = "\n".join(
        [
            *generator.factories,
            f"def _fn({', '.join(_mangle(p) for p in params)}):",
            *_guarded(body, frame, 1, loop=g.tail_loop),
        ]
    )
    lines: dict[int, Frame | None] = generator.env["_LINES"]
    for number, text in enumerate(source.split("\n"), 1):
        marker = text.rpartition("#")[2]
        if marker.startswith("@") and marker in generator.sites:
            lines[number + 1] = generator.sites[marker]
    if _DUMP:
        print(source)
    code = compile(source, f"<hot {fn.name}>", "exec")
    exec(code, generator.env)  # noqa: S102 - the source is generated from a parsed Hot AST
    result: Callable[..., Any] = generator.env["_fn"]
    return result
