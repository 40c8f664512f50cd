"""``hot check``: parse files and resolve every name without running anything.

Each file is parsed on its own (so every file's syntax error is reported),
then every unqualified reference must be a local (parameter or binding of an
enclosing function or flow), a definition of its namespace, or a core name;
every qualified reference must name a loaded namespace and one of its
definitions. Errors come back as :class:`HotSyntaxError` values with positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotlang.compiler.names import _children, bound_names
from hotlang.errors import HotSyntaxError
from hotlang.library import core_library
from hotlang.program import default_namespace, is_core_meta
from hotlang.syntax import nodes
from hotlang.syntax.parser import parse_module
from hotlang.syntax.source import SourceText

BUILTIN_TYPES = {"Int", "Dec", "Str", "Bool", "Null", "Vec", "Map", "Bytes", "Fn", "Any", "Iter", "All"}


def check_sources(sources: Mapping[str, str]) -> list[HotSyntaxError]:
    """Every syntax and name error in ``sources`` (path → text), in file order."""
    errors: list[HotSyntaxError] = []
    modules: list[tuple[SourceText, nodes.Module]] = []
    for path, text in sources.items():
        try:
            modules.append((SourceText(path, text), parse_module(text, path)))
        except HotSyntaxError as error:
            errors.append(error)
    native, core = core_library()
    tables: dict[str, set[str]] = {name: set(values) for name, values in native.items()}
    core_names = set(core)
    for source, module in modules:
        namespace = default_namespace(source.file)
        hidden = 0
        for statement in module.statements:
            if isinstance(statement, nodes.NamespaceDecl):
                namespace = statement.path
            table = tables.setdefault(namespace, {"ns"})
            if isinstance(statement, nodes.ExprStatement):
                table.add(f"$var_{hidden}")  # spec §2.1: hidden names of top-level expression statements
                hidden += 1
            if isinstance(statement, nodes.Binding) and not statement.target.path:
                table.add(statement.target.name)
                if is_core_meta(statement.meta):
                    core_names.add(statement.target.name)
    for source, module in modules:
        _Resolver(source, tables, core_names, errors).module(module)
    return errors


class _Resolver:
    def __init__(
        self, source: SourceText, tables: dict[str, set[str]], core: set[str], errors: list[HotSyntaxError]
    ) -> None:
        self.source = source
        self.tables = tables
        self.core = core
        self.errors = errors
        self.namespace = default_namespace(source.file)
        self.aliases: dict[str, str] = {}

    def error(self, message: str, node: nodes.Node) -> None:
        self.errors.append(self.source.error(message, self.source.offset(node.line, node.column)))

    def module(self, module: nodes.Module) -> None:
        for statement in module.statements:
            if isinstance(statement, nodes.NamespaceDecl):
                self.namespace = statement.path
                self.aliases = {}
            elif isinstance(statement, nodes.NamespaceAlias):
                self.aliases[statement.alias] = statement.path
            elif isinstance(statement, nodes.Binding) and isinstance(statement.value, (nodes.Ref, nodes.QualifiedRef)):
                continue  # an import: resolved lazily at run time, possibly to a later namespace
            else:
                self.visit(statement, frozenset())

    def expand(self, namespace: str) -> str:
        for alias, target in self.aliases.items():
            if namespace == alias or namespace.startswith(alias + "::"):
                return target + namespace[len(alias) :]
        return namespace

    def visit(self, node: Any, local: frozenset[str]) -> None:
        if isinstance(node, (nodes.FnExpr, nodes.Lambda)):
            clauses = node.clauses if isinstance(node, nodes.FnExpr) else (node,)
            for clause in clauses:
                names = {param.name for param in clause.params} | bound_names(clause.body)
                for param in clause.params:
                    self.visit_type(param.type)
                self.visit(clause.body, local | names)
            return
        if isinstance(node, nodes.Match):
            self.visit(node.subject, local)
            for arm in node.arms:
                extra = {arm.binding} if arm.binding else set()
                for pattern in arm.patterns or ():
                    if isinstance(pattern, nodes.PatternValue):
                        self.visit(pattern.value, local)
                    else:
                        self.visit_type_name(pattern.name, pattern, local)
                self.visit(arm.result, local | extra | bound_names(arm.result))
            return
        if isinstance(node, nodes.Block | nodes.Parallel):
            local = local | bound_names(node)
        if isinstance(node, nodes.Ref):
            self.check_name(node.name, node, local)
            return
        if isinstance(node, nodes.Target):
            return
        if isinstance(node, nodes.PathStep) and node.kind == "var":
            self.check_name(str(node.key), node, local)
            return
        if isinstance(node, nodes.QualifiedRef):
            self.check_qualified(node.namespace, node.name, node)
            return
        if isinstance(node, nodes.Placeholder):
            return
        for child in _children(node):
            self.visit(child, local)

    def visit_type(self, node: Any) -> None:
        return None  # parameter types are not enforced at run time (spec §3.9)

    def visit_type_name(self, name: str, node: nodes.Node, local: frozenset[str]) -> None:
        if "/" in name:
            namespace, _, short = name.rpartition("/")
            self.check_qualified(namespace, short, node)
        elif name not in BUILTIN_TYPES:
            self.check_name(name, node, local)

    def check_name(self, name: str, node: nodes.Node, local: frozenset[str]) -> None:
        if name in local or name.startswith("$pct") or name in self.core:
            return
        if name in self.tables.get(self.namespace, set()):
            return
        self.error(f"`{name}` is not defined here, in namespace {self.namespace}, or in core", node)

    def check_qualified(self, namespace: str, name: str, node: nodes.Node) -> None:
        expanded = self.expand(namespace)
        table = self.tables.get(expanded)
        if table is None:
            self.error(f"namespace `{expanded}` is not defined (looking up `{expanded}/{name}`)", node)
        elif name not in table:
            self.error(f"`{expanded}/{name}` is not defined", node)
