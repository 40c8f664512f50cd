"""Folding flat item sequences into statements (spec §2.1 point 2).

The parser reads a body as a flat list of items. Here a bare reference or a
path reference (``a``, ``a.b[0]``, ``a[]``) or a typed target (``a: T``)
followed by another item becomes a :class:`~hotlang.syntax.nodes.Binding` of that
item; ``meta`` literals written before or after the value attach to it.
Everything else is an expression statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hotlang.syntax import nodes
from hotlang.syntax.source import SourceText


@dataclass(frozen=True)
class TypedTargetItem(nodes.Node):
    """``name: Type`` before folding."""

    name: str
    type: nodes.TypeExpr


@dataclass(frozen=True)
class MetaItem(nodes.Node):
    """``meta LITERAL`` before folding; ``value`` is already plain JSON."""

    value: Any


Item = nodes.Expr | TypedTargetItem | MetaItem | nodes.NamespaceDecl | nodes.NamespaceAlias | nodes.ArrowDecl


def literal_json(node: Any, source: SourceText, offset: int) -> Any:
    """Convert a literal expression (used as ``meta``) to plain JSON, or raise a syntax error."""
    if isinstance(node, nodes.Const):
        return float(node.value) if isinstance(node.value, Decimal) else node.value
    if isinstance(node, nodes.VectorLit):
        return [literal_json(item, source, offset) for item in node.items]
    if isinstance(node, nodes.MapLit):
        out: dict[str, Any] = {}
        for entry in node.entries:
            if not isinstance(entry, nodes.MapEntry):
                raise source.error("meta must be a literal: `...` spreads are not allowed in it", offset)
            out[entry.key] = literal_json(entry.value, source, offset)
        return out
    raise source.error("meta must be a literal: a map, vector, string, number, bool or null", offset)


def merge_meta(old: Any, new: Any) -> Any:
    """Combine two meta literals of one definition; keys written later win."""
    if old is None:
        return new
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **new}
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    return new


def as_target(item: Item) -> nodes.Target | None:
    """Return the binding target an item denotes, or None if it cannot be one."""
    if isinstance(item, TypedTargetItem):
        return nodes.Target(item.line, item.column, item.name, (), item.type)
    steps: list[nodes.PathStep] = []
    node: Any = item
    while True:
        if isinstance(node, nodes.Ref):
            return nodes.Target(node.line, node.column, node.name, tuple(reversed(steps)))
        if isinstance(node, nodes.Field):
            steps.append(nodes.PathStep(node.line, node.column, "key", node.name))
        elif isinstance(node, nodes.AppendSlot):
            steps.append(nodes.PathStep(node.line, node.column, "append"))
        elif isinstance(node, nodes.Index):
            step = _index_step(node)
            if step is None:
                return None
            steps.append(step)
        else:
            return None
        node = node.target


def _index_step(node: nodes.Index) -> nodes.PathStep | None:
    key = node.key
    if isinstance(key, nodes.Const) and isinstance(key.value, int) and not isinstance(key.value, bool):
        return nodes.PathStep(node.line, node.column, "index", key.value)
    if isinstance(key, nodes.Const) and isinstance(key.value, str):
        return nodes.PathStep(node.line, node.column, "key", key.value)
    if isinstance(key, nodes.Ref):
        return nodes.PathStep(node.line, node.column, "var", key.name)
    return None


def _is_value(item: Item) -> bool:
    return not isinstance(item, (TypedTargetItem, MetaItem, nodes.NamespaceDecl, nodes.NamespaceAlias, nodes.ArrowDecl))


def fold(items: list[Item], source: SourceText) -> tuple[nodes.Statement, ...]:
    """Pair targets with the value that follows them; see the module docstring."""
    statements: list[nodes.Statement] = []
    pending_meta: Any = None
    pending_offset = 0
    index = 0
    count = len(items)
    while index < count:
        item = items[index]
        if isinstance(item, MetaItem):
            pending_meta = merge_meta(pending_meta, item.value)
            pending_offset = _offset(source, item)
            index += 1
            continue
        if isinstance(item, (nodes.NamespaceDecl, nodes.NamespaceAlias, nodes.ArrowDecl)):
            statements.append(item)
            index += 1
            continue
        target = as_target(item)
        if target is not None:
            following = index + 1
            meta = pending_meta
            while following < count and isinstance(items[following], MetaItem):
                meta = merge_meta(meta, items[following].value)  # type: ignore[union-attr]
                following += 1
            if following < count and _is_value(items[following]):
                value = items[following]
                following += 1
                while following < count and isinstance(items[following], MetaItem):
                    meta = merge_meta(meta, items[following].value)  # type: ignore[union-attr]
                    following += 1
                statements.append(nodes.Binding(item.line, item.column, target, value, meta))  # type: ignore[arg-type]
                pending_meta = None
                index = following
                continue
            if isinstance(item, TypedTargetItem):
                raise source.error(f"expected a value after `{item.name}:` and its type", _offset(source, item))
            if following > index + 1:
                raise source.error(f"expected a value after `{target.name}` and its meta", _offset(source, item))
        if pending_meta is not None:
            raise source.error("this meta is not attached to a definition: write it after a name", pending_offset)
        statements.append(nodes.ExprStatement(item.line, item.column, item))  # type: ignore[arg-type]
        index += 1
    if pending_meta is not None:
        raise source.error("this meta is not attached to a definition: write it after a name", pending_offset)
    return tuple(statements)


def _offset(source: SourceText, node: nodes.Node) -> int:
    return source.offset(node.line, node.column)
