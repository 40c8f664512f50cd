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

from hotlang import ast
from hotlang.compiler.names import _children, bound_names
from hotlang.core import core_library
from hotlang.errors import HotSyntaxError
from hotlang.parser import parse_module
from hotlang.program import default_namespace, is_core_meta
from hotlang.source import SourceText

BUILTIN_TYPES = {"Int", "Dec", "Str", "Bool", "Null", "Vec", "Map", "Bytes", "Fn", "Any", "Iter", "All"}


def check_sources(sources: Mapping[str, str]) -> list[HotSyntaxError]:
    """Every syntax and name error in ``sources`` (path → text), in file order."""
    errors: list[HotSyntaxError] = []
    modules: list[tuple[SourceText, ast.Module]] = []
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
            if isinstance(statement, ast.NamespaceDecl):
                namespace = statement.path
            table = tables.setdefault(namespace, {"ns"})
            if isinstance(statement, ast.ExprStatement):
                table.add(f"$var_{hidden}")  # spec §2.1: hidden names of top-level expression statements
                hidden += 1
            if isinstance(statement, ast.Binding) and not statement.target.path:
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

    def error(self, message: str, node: ast.Node) -> None:
        self.errors.append(self.source.error(message, self.source.offset(node.line, node.column)))

    def module(self, module: ast.Module) -> None:
        for statement in module.statements:
            if isinstance(statement, ast.NamespaceDecl):
                self.namespace = statement.path
                self.aliases = {}
            elif isinstance(statement, ast.NamespaceAlias):
                self.aliases[statement.alias] = statement.path
            elif isinstance(statement, ast.Binding) and isinstance(statement.value, (ast.Ref, ast.QualifiedRef)):
                continue  # an import: resolved lazily at run time, possibly to a later namespace
            else:
                self.visit(statement, frozenset())

    def expand(self, namespace: str) -> str:
        for alias, target in self.aliases.items():
            if namespace == alias or namespace.startswith(alias + "::"):
                return target + namespace[len(alias) :]
        return namespace

    def visit(self, node: Any, local: frozenset[str]) -> None:
        if isinstance(node, (ast.FnExpr, ast.Lambda)):
            clauses = node.clauses if isinstance(node, ast.FnExpr) else (node,)
            for clause in clauses:
                names = {param.name for param in clause.params} | bound_names(clause.body)
                for param in clause.params:
                    self.visit_type(param.type)
                self.visit(clause.body, local | names)
            return
        if isinstance(node, ast.Match):
            self.visit(node.subject, local)
            for arm in node.arms:
                extra = {arm.binding} if arm.binding else set()
                for pattern in arm.patterns or ():
                    if isinstance(pattern, ast.PatternValue):
                        self.visit(pattern.value, local)
                    else:
                        self.visit_type_name(pattern.name, pattern, local)
                self.visit(arm.result, local | extra | bound_names(arm.result))
            return
        if isinstance(node, ast.Block | ast.Parallel):
            local = local | bound_names(node)
        if isinstance(node, ast.Ref):
            self.check_name(node.name, node, local)
            return
        if isinstance(node, ast.Target):
            return
        if isinstance(node, ast.PathStep) and node.kind == "var":
            self.check_name(str(node.key), node, local)
            return
        if isinstance(node, ast.QualifiedRef):
            self.check_qualified(node.namespace, node.name, node)
            return
        if isinstance(node, ast.Placeholder):
            return
        for child in _children(node):
            self.visit(child, local)

    def visit_type(self, node: Any) -> None:
        return None  # parameter types are not enforced at run time (spec §3.9)

    def visit_type_name(self, name: str, node: ast.Node, local: frozenset[str]) -> None:
        if "/" in name:
            namespace, _, short = name.rpartition("/")
            self.check_qualified(namespace, short, node)
        elif name not in BUILTIN_TYPES:
            self.check_name(name, node, local)

    def check_name(self, name: str, node: ast.Node, local: frozenset[str]) -> None:
        if name in local or name.startswith("$pct") or name in self.core:
            return
        if name in self.tables.get(self.namespace, set()):
            return
        self.error(f"`{name}` is not defined here, in namespace {self.namespace}, or in core", node)

    def check_qualified(self, namespace: str, name: str, node: ast.Node) -> None:
        expanded = self.expand(namespace)
        table = self.tables.get(expanded)
        if table is None:
            self.error(f"namespace `{expanded}` is not defined (looking up `{expanded}/{name}`)", node)
        elif name not in table:
            self.error(f"`{expanded}/{name}` is not defined", node)
