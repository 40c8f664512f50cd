"""Loading Hot files into a reusable :class:`Program` (spec §3.2).

Loading happens in passes: every file is parsed; every named top-level
function in every namespace is compiled and registered (hoisting, so bodies
may call functions defined later or in another namespace); then each file's
remaining top-level items run in source order. After loading, a Program is
read-only: :meth:`Program.call` may run from many threads at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hotlang.compiler import Ctx, Unit, compile_statement, top_level_function
from hotlang.compiler.names import bound_names
from hotlang.compiler.typedefs import define_type
from hotlang.errors import Frame, HotLimitExceeded, HotRuntimeError
from hotlang.library import core_library, native_arrows
from hotlang.runtime.functions import MISSING, FunctionAlias, Scope
from hotlang.runtime.host import Host, NullHost
from hotlang.runtime.json_codec import from_plain_json
from hotlang.runtime.limits import MAX_DEPTH, Limits, run_limited
from hotlang.runtime.run import RunContext, enter_run, leave_run
from hotlang.runtime.tracing import Tracer
from hotlang.runtime.typevalues import BUILTIN, BUILTIN_NAMES, Arrows, EnumType, type_path_of
from hotlang.runtime.values import FunctionValue
from hotlang.syntax import nodes
from hotlang.syntax.parser import parse_module
from hotlang.syntax.source import SourceText


@dataclass(frozen=True)
class FunctionInfo:
    """A named top-level function, as the platform sees it (meta is plain JSON or None)."""

    ns: str
    name: str
    qualified: str
    meta: Any
    file: str
    line: int
    column: int


@dataclass
class Namespace:
    """A namespace's globals (functions and top-level values) and its meta."""

    name: str
    globals: dict[str, Any] = field(default_factory=dict)
    meta: Any = None


def default_namespace(path: str) -> str:
    """The namespace of a file that declares none: ``app/orders.hot`` → ``::app::orders``."""
    stem = re.sub(r"\.hot$", "", path.replace("\\", "/"))
    segments = [re.sub(r"[^A-Za-z0-9_$-]", "-", part) for part in stem.split("/") if part not in ("", ".", "..")]
    segments = [part if part[:1].isalpha() or part[:1] in "_$" else f"_{part}" for part in segments if part]
    return "::" + "::".join(segments or ["main"])


def is_core_meta(meta: Any) -> bool:
    """``{core: true}``, a vector containing ``"core"``, or the string ``"core"`` (spec §3.2)."""
    if isinstance(meta, dict):
        return bool(meta.get("core") is True)
    if isinstance(meta, list):
        return "core" in meta
    return bool(meta == "core")


@dataclass
class _Pending:
    unit: Unit
    aliases: dict[str, str]
    statement: nodes.Statement


class Program:
    """Loaded Hot code: namespaces, functions and the core registry. Reusable and thread-safe."""

    def __init__(self, *, traced: bool = False) -> None:
        native_namespaces, core = core_library()
        self.traced = traced
        self._namespaces: dict[str, Namespace] = {}
        self._tables: dict[str, dict[str, Any]] = {}
        for name, table in native_namespaces.items():
            self._namespace(name).globals.update(table)
        self._core = core
        self._functions: list[FunctionInfo] = []
        self._file_namespaces: dict[str, list[str]] = {}
        self._last_values: dict[str, Any] = {}
        self._hidden_counts: dict[str, int] = {}
        """Per file: how many top-level expression statements got a hidden ``$var_N`` name (spec §2.1)."""
        self.arrows = Arrows()
        for source, target, arrow_fn in native_arrows():
            self.arrows.add(source, target, arrow_fn)
        self._pending_arrows: list[tuple[Unit, dict[str, str], nodes.ArrowDecl]] = []

    # -- public API -------------------------------------------------------------

    def functions(self) -> list[FunctionInfo]:
        """Every named top-level function, in load order."""
        return list(self._functions)

    def namespaces(self) -> list[str]:
        """Every namespace path, native ones included."""
        return list(self._namespaces)

    def namespaces_of(self, file: str) -> list[str]:
        """The namespaces a file declared (or its default one), in order."""
        return list(self._file_namespaces.get(file, []))

    def last_value(self, file: str) -> Any:
        """The value of the file's last top-level expression statement (None if it had none)."""
        return self._last_values.get(file)

    def lookup(self, qualified: str) -> Any:
        """The value of ``::ns/name``; raises :class:`HotRuntimeError` if it does not exist."""
        namespace, _, name = qualified.rpartition("/")
        table = self._tables.get(namespace)
        value = MISSING if table is None else table.get(name, MISSING)
        if value is MISSING:
            raise HotRuntimeError(f"`{qualified}` is not defined")
        return value

    def core_value(self, name: str) -> Any:
        """The value of an unqualified core name; raises :class:`HotRuntimeError` if there is none."""
        value = self._core.get(name, MISSING)
        if value is MISSING:
            raise HotRuntimeError(f"`{name}` is not defined")
        return value

    def call(
        self,
        qualified: str,
        args: list[Any] | None = None,
        *,
        host: Host | None = None,
        limits: Limits | None = None,
        tracer: Tracer | None = None,
        ctx: Mapping[str, Any] | None = None,
        secret_keys: frozenset[str] = frozenset(),
        on_secret: Callable[[Any], None] | None = None,
    ) -> Any:
        """Call a function with plain-JSON arguments; return its Hot value.

        ``ctx`` (plain JSON values) seeds what ``::hot::ctx/get`` reads; ``secret_keys`` are
        secret keys among them and ``on_secret`` hears of values made secret during the call.

        The arguments are caller data: a ``$type`` object stays a map, it never becomes a typed
        value (``from_plain_json``; docs/decisions/0019).

        ``tracer`` receives a span per Hot call and non-serial flow when the
        program was loaded with ``traced=True`` (see :mod:`hotlang.runtime.tracing`).

        Raises :class:`HotFailure`, :class:`HotCancelled` or another
        :class:`HotRuntimeError` when the call halts.
        """
        fn = self.lookup(qualified)
        if type(fn) is FunctionAlias:
            fn = fn.target()
        if not isinstance(fn, FunctionValue):
            raise HotRuntimeError(f"`{qualified}` is not a function")
        values = [from_plain_json(arg) for arg in (args or [])]
        seeded = {str(k): from_plain_json(v) for k, v in (ctx or {}).items()}
        return self.call_value(fn, values, host=host, name=qualified, limits=limits, tracer=tracer, ctx=seeded,
                               secret_keys=secret_keys, on_secret=on_secret)

    def call_value(
        self,
        fn: FunctionValue,
        args: list[Any],
        *,
        host: Host | None = None,
        name: str = "",
        limits: Limits | None = None,
        assertion_failed: Callable[[str], None] | None = None,
        tracer: Tracer | None = None,
        ctx: Mapping[str, Any] | None = None,
        secret_keys: frozenset[str] = frozenset(),
        on_secret: Callable[[Any], None] | None = None,
    ) -> Any:
        """Call a function value with Hot-value arguments inside a fresh run context, under ``limits``.

        ``ctx`` holds Hot values (see :meth:`call` for ``secret_keys`` and ``on_secret``).

        ``assertion_failed`` receives each failing assertion's message instead of halting (test runner).
        """

        def work() -> Any:
            context = RunContext(host=host or NullHost(), arrows=self.arrows, program=self)
            context.assertion_failed = assertion_failed
            context.tracer = tracer
            context.ctx = dict(ctx or {})
            context.secret_keys = set(secret_keys)
            context.on_secret = on_secret
            token = enter_run(context)
            try:
                return fn.call(args)
            except RecursionError:
                raise HotLimitExceeded(
                    f"maximum call depth exceeded while running {name or fn.name}: "
                    f"the recursion is deeper than {MAX_DEPTH:,} calls (tail calls do not count)",
                    limit="call depth",
                ) from None
            finally:
                leave_run(token)

        return run_limited(work, limits, stop_check=None if host is None else host.check_cancelled)

    # -- loading ------------------------------------------------------------------

    def _namespace(self, name: str) -> Namespace:
        namespace = self._namespaces.get(name)
        if namespace is None:
            namespace = Namespace(name)
            self._namespaces[name] = namespace
            self._tables[name] = namespace.globals
        return namespace

    def _unit(self, source: SourceText, namespace: str) -> Unit:
        table = self._namespace(namespace).globals
        table.setdefault("ns", namespace)
        return Unit(source, namespace, table, self._core, self._tables, traced=self.traced)

    def load(self, sources: Mapping[str, str], host: Host | None = None, limits: Limits | None = None,
             ctx: dict[str, Any] | None = None, secret_keys: set[str] | None = None) -> None:
        """Parse, hoist and run ``sources`` (path → text) into this program.

        ``ctx``, when given, is the ``::hot::ctx`` store the top-level code reads and writes, and
        ``secret_keys`` collects the keys it writes with ``set-secret`` (``hot dev`` reads its local
        context file this way)."""
        parsed = [(SourceText(path, text), parse_module(text, path)) for path, text in sources.items()]
        pending: list[_Pending] = []
        for source, module in parsed:
            pending.extend(self._hoist(source, module))
        for unit, aliases, arrow in self._pending_arrows:
            self._define_arrow(unit, aliases, arrow)
        self._pending_arrows = []

        def work() -> None:
            context = RunContext(host=host or NullHost(), arrows=self.arrows, program=self)
            if ctx is not None:
                context.ctx = ctx
            if secret_keys is not None:
                context.secret_keys = secret_keys
            token = enter_run(context)
            try:
                for item in pending:
                    self._run_top_level(item)
            except RecursionError:
                raise HotLimitExceeded("maximum call depth exceeded while loading", limit="call depth") from None
            finally:
                leave_run(token)

        run_limited(work, limits)

    def _hoist(self, source: SourceText, module: nodes.Module) -> list[_Pending]:
        """Register the file's functions; return its other items for the run pass."""
        file = source.file
        unit = self._unit(source, default_namespace(file))
        declared = self._file_namespaces.setdefault(file, [])
        aliases: dict[str, str] = {}
        pending: list[_Pending] = []
        for statement in module.statements:
            if isinstance(statement, nodes.NamespaceDecl):
                unit = self._unit(source, statement.path)
                if statement.meta is not None:
                    self._namespace(statement.path).meta = statement.meta
                declared.append(statement.path)
                aliases = {}
            elif isinstance(statement, nodes.NamespaceAlias):
                aliases = {**aliases, statement.alias: statement.path}
            elif (
                isinstance(statement, nodes.Binding)
                and not statement.target.path
                and isinstance(statement.value, nodes.FnExpr)
            ):
                self._define_function(unit, aliases, statement)
            elif (
                isinstance(statement, nodes.Binding)
                and not statement.target.path
                and isinstance(statement.value, (nodes.TypeDef, nodes.EnumDef, nodes.TypeAlias))
            ):
                name = statement.target.name
                unit.globals[name] = define_type(statement.value, self._ctx(unit, aliases), name)
                if is_core_meta(statement.meta):
                    self._core[name] = unit.globals[name]
            elif isinstance(statement, nodes.ArrowDecl):
                self._pending_arrows.append((unit, aliases, statement))
            else:
                if isinstance(statement, nodes.Binding) and isinstance(
                    statement.value, (nodes.QualifiedRef, nodes.Ref)
                ):
                    self._define_alias(unit, aliases, statement)
                pending.append(_Pending(unit, aliases, statement))
        if not declared:
            declared.append(unit.namespace)
        return pending

    def _ctx(self, unit: Unit, aliases: dict[str, str], local_names: frozenset[str] = frozenset()) -> Ctx:
        return Ctx(unit, aliases, local_names, None, f"{unit.namespace} (top level)", top_level=True)

    def _define_function(self, unit: Unit, aliases: dict[str, str], statement: nodes.Binding) -> None:
        assert isinstance(statement.value, nodes.FnExpr)
        name = statement.target.name
        fn = top_level_function(statement.value, self._ctx(unit, aliases), name)
        unit.globals[name] = fn
        if is_core_meta(statement.meta):
            self._core[name] = fn
        self._functions.append(
            FunctionInfo(unit.namespace, name, fn.name, statement.meta, unit.file, statement.line, statement.column)
        )

    def _type_path(self, unit: Unit, aliases: dict[str, str], name: str) -> str:
        """The path of a type named in an arrow: a local/imported type, a core type, or a built-in."""
        if "/" in name:
            namespace, _, short = name.rpartition("/")
            namespace = self._ctx(unit, aliases).expand_namespace(namespace)
            value = self._tables.get(namespace, {}).get(short, MISSING)
        else:
            short = name
            value = unit.globals.get(name, self._core.get(name, MISSING))
        if type(value) is FunctionAlias:
            value = value.target()
        path = type_path_of(value) if value is not MISSING else None
        if path is None:
            if short in BUILTIN_NAMES:
                return BUILTIN + short
            raise HotRuntimeError(f"`{name}` in an arrow is not a type")
        return path

    def _define_arrow(self, unit: Unit, aliases: dict[str, str], arrow: nodes.ArrowDecl) -> None:
        """Register ``Src -> Dst fn …``, or enrol ``Src`` in an open enum (``Bird -> Animal.Bird``)."""
        source = self._type_path(unit, aliases, arrow.source)
        target = self._type_path(unit, aliases, arrow.target)
        label = f"{arrow.source} -> {arrow.target}" + (f".{arrow.variant}" if arrow.variant else "")
        try:
            if arrow.fn is not None:
                fn = top_level_function(arrow.fn, self._ctx(unit, aliases), label)
                self.arrows.add(source, target + (f".{arrow.variant}" if arrow.variant else ""), fn)
                return
            enum = unit.globals.get(arrow.target, self._core.get(arrow.target))
            if not isinstance(enum, EnumType) or arrow.variant is None:
                raise HotRuntimeError(f"`{label}` needs a function, or an open enum variant as its target")
            if not enum.is_open:
                raise HotRuntimeError(f"`{arrow.target}` is not an open enum, so `{label}` cannot add a variant")
            source_type = unit.globals.get(arrow.source, self._core.get(arrow.source))
            enum.add_payload(arrow.variant, source_type)
            self.arrows.add(source, f"{target}.{arrow.variant}", enum.variants[arrow.variant])
        except HotRuntimeError as error:
            error.add_frame(Frame(label, unit.file, arrow.line, arrow.column))
            raise

    def _define_alias(self, unit: Unit, aliases: dict[str, str], statement: nodes.Binding) -> None:
        """``name ::ns/fn`` is visible before the run pass, resolved when first used."""
        value = statement.value
        ctx = self._ctx(unit, aliases)
        if isinstance(value, nodes.QualifiedRef):
            namespace, target = ctx.expand_namespace(value.namespace), value.name
        else:
            namespace, target = unit.namespace, value.name  # type: ignore[union-attr]
        tables, core = self._tables, self._core

        def resolve() -> Any:
            table = tables.get(namespace, {})
            found = table.get(target, MISSING)
            if found is MISSING and isinstance(value, nodes.Ref):
                found = core.get(target, MISSING)
            if found is MISSING:
                raise HotRuntimeError(f"`{namespace}/{target}` is not defined")
            return found

        unit.globals.setdefault(statement.target.name, FunctionAlias(statement.target.name, resolve))

    def _run_top_level(self, item: _Pending) -> None:
        statement = item.statement
        local = frozenset(bound_names(statement.value if isinstance(statement, nodes.Binding) else statement))
        ctx = self._ctx(item.unit, item.aliases, local)
        evaluate = compile_statement(statement, ctx, tail=False)
        try:
            value = evaluate(Scope(item.unit.globals, None))
        except HotRuntimeError as error:
            if not error.stack:
                error.add_frame(Frame(ctx.function_name, item.unit.file, statement.line, statement.column))
            raise
        if isinstance(statement, nodes.ExprStatement):
            self._last_values[item.unit.file] = value
            hidden = self._hidden_counts.get(item.unit.file, 0)
            self._hidden_counts[item.unit.file] = hidden + 1
            item.unit.globals.setdefault(f"$var_{hidden}", value)


def load_program(
    sources: Mapping[str, str], *, host: Host | None = None, limits: Limits | None = None, traced: bool = False
) -> Program:
    """Parse and load Hot files (path → source text) into a new :class:`Program`.

    ``traced`` compiles span hooks so calls can be given a tracer (:mod:`hotlang.runtime.tracing`);
    an untraced program runs the fastest code and ignores any tracer.

    Raises :class:`HotSyntaxError` for invalid source and :class:`HotRuntimeError`
    when top-level code halts while loading.
    """
    program = Program(traced=traced)
    program.load(sources, host, limits)
    return program
