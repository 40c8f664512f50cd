"""What the compiler knows while compiling one piece of code."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hotlang.errors import Frame, HotSyntaxError
from hotlang.syntax import nodes
from hotlang.syntax.source import SourceText


@dataclass
class Unit:
    """One file's code in one namespace: where globals live and how names resolve.

    ``namespaces`` is the program-wide table (namespace path → globals) used by
    qualified references; it keeps growing while the program loads.
    """

    source: SourceText
    namespace: str
    globals: dict[str, Any]
    core: dict[str, Any]
    namespaces: dict[str, dict[str, Any]]
    traced: bool = False
    """Compile span hooks (:mod:`hotlang.runtime.tracing`) instead of generated Python."""

    @property
    def file(self) -> str:
        return self.source.file


@dataclass(frozen=True)
class Ctx:
    """Lexical context of the code being compiled.

    ``local_names`` are the names that may be bound in an enclosing lexical
    scope (parameters and bindings of enclosing bodies); any other name is
    looked up directly in the namespace and then the core registry.
    ``shape`` is the result shape an ``All<…>`` annotation asks of the flow
    being compiled ("map", "vec" or "single"; see spec §3.5).
    ``self_name`` is the name of the function whose body this is, so that
    self-recursive calls in tail position become loops. ``top_level`` is true
    for a file's top-level items, whose scope is the namespace itself.
    """

    unit: Unit
    aliases: Mapping[str, str]
    local_names: frozenset[str]
    self_name: str | None
    function_name: str
    top_level: bool = False
    shape: str | None = None

    def replace(self, **changes: Any) -> Ctx:
        return dataclasses.replace(self, **changes)

    def frame(self, node: nodes.Node) -> Frame:
        """The stack frame to record when a halt passes through ``node``."""
        return Frame(self.function_name, self.unit.file, node.line, node.column)

    def error(self, message: str, node: nodes.Node) -> HotSyntaxError:
        """A compile-time error at ``node``, reported like a syntax error."""
        source = self.unit.source
        return source.error(message, source.offset(node.line, node.column))

    def expand_namespace(self, namespace: str) -> str:
        """Apply ``::short ::long::path`` aliases to a namespace path."""
        for alias, target in self.aliases.items():
            if namespace == alias:
                return target
            if namespace.startswith(alias + "::"):
                return target + namespace[len(alias) :]
        return namespace
