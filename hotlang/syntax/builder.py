"""Turns the lark parse tree into the typed AST of :mod:`hotlang.syntax.nodes`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, v_args

from hotlang.syntax import nodes
from hotlang.syntax.fold import Item, MetaItem, TypedTargetItem, fold, literal_json
from hotlang.syntax.lexer import TemplatePart
from hotlang.syntax.source import SourceText

ParseTokens = Callable[[list[Token], str], Any]


class _Returns:
    """Wrapper marking the ``: Type`` child of a function or lambda."""

    def __init__(self, type_expr: nodes.TypeExpr) -> None:
        self.type = type_expr


class _DefaultTest:
    """Marker for the ``_`` test of a default arm."""


class _Binding:
    """The ``(v)`` of a match arm."""

    def __init__(self, name: str) -> None:
        self.name = name


def _pos(meta: Any) -> tuple[int, int]:
    return getattr(meta, "line", 0), getattr(meta, "column", 0)


def _split_returns(children: list[Any]) -> tuple[nodes.TypeExpr | None, list[Any]]:
    rest = []
    returns = None
    for child in children:
        if isinstance(child, _Returns):
            returns = child.type
        else:
            rest.append(child)
    return returns, rest


def _single(expr: Any) -> nodes.Block:
    """A block holding one expression statement (the body of a flow-based lambda)."""
    return nodes.Block(expr.line, expr.column, (nodes.ExprStatement(expr.line, expr.column, expr),))


def _const_value(token: Token) -> Any:
    kind = token.type
    if kind == "INT":
        return int(token)
    if kind == "DEC":
        return Decimal(str(token))
    if kind == "TRUE":
        return True
    if kind == "FALSE":
        return False
    if kind == "NULL":
        return None
    return str(token)


@v_args(meta=True)
class AstBuilder(Transformer[Token, Any]):
    """Builds AST nodes bottom-up. ``parse_tokens`` parses a template's ``${…}`` tokens."""

    def __init__(self, source: SourceText, templates: dict[int, list[TemplatePart]], parse_tokens: ParseTokens) -> None:
        super().__init__()
        self.source = source
        self.templates = templates
        self.parse_tokens = parse_tokens

    # -- items ------------------------------------------------------------------

    def start(self, meta: Any, children: list[Item]) -> nodes.Module:
        return nodes.Module(1, 1, fold(children, self.source))

    def body(self, meta: Any, children: list[Item]) -> tuple[nodes.Statement, ...]:
        return fold(children, self.source)

    def typed_target(self, meta: Any, children: list[Any]) -> TypedTargetItem:
        name, type_expr = children
        return TypedTargetItem(*_pos(meta), str(name), type_expr)

    def meta_item(self, meta: Any, children: list[Any]) -> MetaItem:
        line, column = _pos(meta)
        return MetaItem(line, column, literal_json(children[0], self.source, self.source.offset(line, column)))

    def ns_decl(self, meta: Any, children: list[Any]) -> nodes.NamespaceDecl:
        path = str(children[0])
        meta_value: Any = None
        for child in children[1:]:
            if isinstance(child, MetaItem):
                meta_value = child.value
        return nodes.NamespaceDecl(*_pos(meta), path, meta_value)

    def arrow_decl(self, meta: Any, children: list[Any]) -> nodes.ArrowDecl:
        source = str(children[0])
        target, variant = children[1]
        fn = next((c for c in children[2:] if isinstance(c, nodes.FnExpr)), None)
        meta_value = next((c.value for c in children[2:] if isinstance(c, MetaItem)), None)
        return nodes.ArrowDecl(*_pos(meta), source, target, variant, fn, meta_value)

    def arrow_target(self, meta: Any, children: list[Token]) -> tuple[str, str | None]:
        return str(children[0]), str(children[1]) if len(children) > 1 else None

    def ns_alias(self, meta: Any, children: list[Any]) -> nodes.NamespaceAlias:
        return nodes.NamespaceAlias(*_pos(meta), str(children[0]), str(children[1]))

    # -- expressions --------------------------------------------------------------

    def pipe(self, meta: Any, children: list[Any]) -> nodes.Pipe:
        left, right = children
        if isinstance(left, nodes.Pipe):
            return nodes.Pipe(left.line, left.column, (*left.stages, right))
        return nodes.Pipe(*_pos(meta), (left, right))

    def do_expr(self, meta: Any, children: list[Any]) -> nodes.Do:
        return nodes.Do(*_pos(meta), children[-1])

    def raw_expr(self, meta: Any, children: list[Any]) -> nodes.Raw:
        return nodes.Raw(*_pos(meta), children[-1])

    def placeholder(self, meta: Any, children: list[Token]) -> nodes.Placeholder:
        text = str(children[0])[1:]
        line, column = _pos(meta)
        if text == "0":
            raise self.source.error(
                "`%0` is not a placeholder: they count from `%1` (and `%` means `%1`)", self.source.offset(line, column)
            )
        return nodes.Placeholder(line, column, int(text) if text else 1)

    def placeholder_boundary(self, meta: Any, children: list[Any]) -> nodes.PlaceholderBoundary:
        return nodes.PlaceholderBoundary(*_pos(meta), children[-1])

    def call(self, meta: Any, children: list[Any]) -> nodes.Call:
        return nodes.Call(*_pos(meta), children[0], children[1])

    def index(self, meta: Any, children: list[Any]) -> nodes.Index:
        return nodes.Index(*_pos(meta), children[0], children[1])

    def append_slot(self, meta: Any, children: list[Any]) -> nodes.AppendSlot:
        return nodes.AppendSlot(*_pos(meta), children[0])

    def field(self, meta: Any, children: list[Any]) -> nodes.Field:
        return nodes.Field(*_pos(meta), children[0], str(children[1]))

    def args(self, meta: Any, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)

    def spread(self, meta: Any, children: list[Any]) -> nodes.Spread:
        return nodes.Spread(*_pos(meta), children[-1])

    def literal(self, meta: Any, children: list[Token]) -> nodes.Const:
        return nodes.Const(*_pos(meta), _const_value(children[0]))

    def ref(self, meta: Any, children: list[Token]) -> nodes.Ref:
        return nodes.Ref(*_pos(meta), str(children[0]))

    def qref(self, meta: Any, children: list[Token]) -> nodes.QualifiedRef:
        namespace, _, name = str(children[0]).rpartition("/")
        return nodes.QualifiedRef(*_pos(meta), namespace, name)

    def template(self, meta: Any, children: list[Token]) -> nodes.Template | nodes.Const:
        token = children[0]
        parts: list[str | nodes.Expr] = []
        for part in self.templates[token.start_pos or 0]:
            if isinstance(part, str):
                parts.append(part)
            else:
                parts.append(self.parse_tokens(part, "expr"))
        line, column = _pos(meta)
        if all(isinstance(part, str) for part in parts):
            return nodes.Const(line, column, "".join(part for part in parts if isinstance(part, str)))
        return nodes.Template(line, column, tuple(parts))

    def vector(self, meta: Any, children: list[Any]) -> nodes.VectorLit:
        return nodes.VectorLit(*_pos(meta), tuple(children))

    def map(self, meta: Any, children: list[Any]) -> nodes.MapLit:
        return nodes.MapLit(*_pos(meta), tuple(children))

    def pair(self, meta: Any, children: list[Any]) -> nodes.MapEntry:
        return nodes.MapEntry(*_pos(meta), children[0], children[1])

    def pun(self, meta: Any, children: list[Token]) -> nodes.MapEntry:
        line, column = _pos(meta)
        return nodes.MapEntry(line, column, str(children[0]), nodes.Ref(line, column, str(children[0])))

    def key(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def block(self, meta: Any, children: list[Any]) -> nodes.Block:
        return nodes.Block(*_pos(meta), children[-1])

    def lambda_expr(self, meta: Any, children: list[Any]) -> nodes.Lambda:
        returns, rest = _split_returns([c for c in children if not isinstance(c, Token)])
        params, statements = rest
        line, column = _pos(meta)
        return nodes.Lambda(line, column, params, returns, nodes.Block(line, column, statements))

    def lambda_cond(self, meta: Any, children: list[Any]) -> nodes.Lambda:
        """``cond (x) {arms}`` / ``cond-all (x) {arms}``: a lambda whose body is one cond flow."""
        clause = self.clause_cond(meta, children)
        return nodes.Lambda(
            clause.line, clause.column, clause.params, clause.returns, _single(clause.body), clause.flow
        )

    def lambda_parallel(self, meta: Any, children: list[Any]) -> nodes.Lambda:
        """``parallel (x) {…}``: a lambda whose body is one parallel flow."""
        clause = self.clause_parallel(meta, children)
        return nodes.Lambda(
            clause.line, clause.column, clause.params, clause.returns, _single(clause.body), clause.flow
        )

    # -- functions ------------------------------------------------------------------

    def fn_expr(self, meta: Any, children: list[Any]) -> nodes.FnExpr:
        return nodes.FnExpr(*_pos(meta), tuple(child for child in children if isinstance(child, nodes.FnClause)))

    def clause_body(self, meta: Any, children: list[Any]) -> nodes.FnClause:
        returns, rest = _split_returns([c for c in children if not isinstance(c, Token)])
        params, statements = rest
        line, column = _pos(meta)
        return nodes.FnClause(line, column, params, returns, nodes.Block(line, column, statements))

    def clause_expr(self, meta: Any, children: list[Any]) -> nodes.FnClause:
        returns, rest = _split_returns(children)
        params, body = rest
        return nodes.FnClause(*_pos(meta), params, returns, body)

    def clause_cond(self, meta: Any, children: list[Any]) -> nodes.FnClause:
        keyword = children[0]
        returns, rest = _split_returns(children[1:])
        params, arms = rest[0], rest[1:]
        line, column = _pos(meta)
        collect_all = keyword.type == "COND_ALL"
        body = nodes.Cond(line, column, tuple(arms), collect_all)
        return nodes.FnClause(line, column, params, returns, body, "cond-all" if collect_all else "cond")

    def clause_match(self, meta: Any, children: list[Any]) -> nodes.FnClause:
        keyword = children[0]
        returns, rest = _split_returns(children[1:])
        params, arms = rest[0], rest[1:]
        line, column = _pos(meta)
        collect_all = keyword.type == "MATCH_ALL"
        if not params:
            raise self.source.error("`fn match` needs a parameter to match on", self.source.offset(line, column))
        subject = nodes.Ref(line, column, params[0].name)
        body = nodes.Match(line, column, subject, tuple(arms), collect_all)
        return nodes.FnClause(line, column, params, returns, body, "match-all" if collect_all else "match")

    def clause_parallel(self, meta: Any, children: list[Any]) -> nodes.FnClause:
        returns, rest = _split_returns(children[1:])
        params, statements = rest
        line, column = _pos(meta)
        body = nodes.Parallel(line, column, statements, hidden_names=True)
        return nodes.FnClause(line, column, params, returns, body, "parallel")

    def params(self, meta: Any, children: list[nodes.Param]) -> tuple[nodes.Param, ...]:
        return tuple(children)

    def param(self, meta: Any, children: list[Any]) -> nodes.Param:
        lazy = rest = False
        name = ""
        type_expr = None
        for child in children:
            if isinstance(child, Token):
                if child.type == "LAZY":
                    lazy = True
                elif child.type == "SPREAD":
                    rest = True
                else:
                    name = str(child)
            else:
                type_expr = child
        return nodes.Param(*_pos(meta), name, type_expr, lazy, rest)

    def ret(self, meta: Any, children: list[Any]) -> _Returns:
        return _Returns(children[0])

    # -- flows ------------------------------------------------------------------

    def cond(self, meta: Any, children: list[Any]) -> nodes.Cond:
        keyword = children[0]
        return nodes.Cond(*_pos(meta), tuple(children[1:]), keyword.type == "COND_ALL")

    def cond_arm(self, meta: Any, children: list[Any]) -> nodes.CondArm:
        result = children[-1]
        test: Any = None
        label = None
        for child in children[:-1]:
            if isinstance(child, Token) and child.type == "LABEL":
                label = str(child)
            elif not isinstance(child, _DefaultTest):
                test = child
        return nodes.CondArm(*_pos(meta), test, label, result)

    def default_test(self, meta: Any, children: list[Any]) -> _DefaultTest:
        return _DefaultTest()

    def parallel_block(self, meta: Any, children: list[Any]) -> nodes.Parallel:
        return nodes.Parallel(*_pos(meta), children[-1])

    def match_expr(self, meta: Any, children: list[Any]) -> nodes.Match:
        keyword, subject, *arms = children
        return nodes.Match(*_pos(meta), subject, tuple(arms), keyword.type == "MATCH_ALL")

    def match_arm(self, meta: Any, children: list[Any]) -> nodes.MatchArm:
        result = children[-1]
        patterns: Any = None
        binding = None
        if len(children) == 2:
            patterns, binding = children[0]
        return nodes.MatchArm(*_pos(meta), patterns, binding, result)

    def match_pattern(self, meta: Any, children: list[Any]) -> tuple[Any, str | None]:
        binding = None
        if children and isinstance(children[-1], _Binding):
            binding = children.pop().name
        return tuple(children), binding

    def default_pattern(self, meta: Any, children: list[Any]) -> tuple[Any, str | None]:
        binding = children[-1].name if children and isinstance(children[-1], _Binding) else None
        return None, binding

    def match_bind(self, meta: Any, children: list[Token]) -> _Binding:
        return _Binding(str(children[-1]))

    def pat_value(self, meta: Any, children: list[Any]) -> nodes.PatternValue:
        node = children[0]
        line, column = _pos(meta)
        end = getattr(meta, "end_pos", None)
        start = getattr(meta, "start_pos", None)
        text = self.source.text[start:end] if start is not None and end is not None else ""
        return nodes.PatternValue(line, column, node, text)

    def pat_type(self, meta: Any, children: list[Token]) -> nodes.PatternType:
        name = str(children[0])
        variant = None
        nullable = False
        for token in children[1:]:
            if token.type == "QMARK":
                nullable = True
            else:
                variant = str(token)
        text = name + (f".{variant}" if variant else "") + ("?" if nullable else "")
        return nodes.PatternType(*_pos(meta), name, variant, nullable, text)

    # -- types --------------------------------------------------------------------

    def type_def(self, meta: Any, children: list[Any]) -> nodes.TypeDef:
        fields = tuple(child for child in children if isinstance(child, nodes.TypeField))
        constructor = next((child for child in children if isinstance(child, nodes.FnExpr)), None)
        is_open = any(isinstance(child, Token) and child.type == "OPEN" for child in children)
        nominal = not any(isinstance(child, Token) and child.type == "_MAP_LB" for child in children) and not fields
        has_body = len([c for c in children if not isinstance(c, Token) or c.type not in ("TYPE", "OPEN")]) > 0
        return nodes.TypeDef(
            *_pos(meta), fields, constructor, nominal and not has_body and constructor is None, is_open
        )

    def type_alias(self, meta: Any, children: list[Any]) -> nodes.TypeAlias:
        is_open = any(isinstance(child, Token) and child.type == "OPEN" for child in children)
        return nodes.TypeAlias(*_pos(meta), children[-1], is_open)

    def enum_def(self, meta: Any, children: list[Any]) -> nodes.EnumDef:
        is_open = any(isinstance(child, Token) and child.type == "OPEN" for child in children)
        return nodes.EnumDef(*_pos(meta), tuple(c for c in children if isinstance(c, nodes.Variant)), is_open)

    def variant(self, meta: Any, children: list[Any]) -> nodes.Variant:
        return nodes.Variant(*_pos(meta), str(children[0]), children[1] if len(children) > 1 else None)

    def type_field(self, meta: Any, children: list[Any]) -> nodes.TypeField:
        return nodes.TypeField(*_pos(meta), str(children[0]), children[1])

    def type(self, meta: Any, children: list[nodes.TypeExpr]) -> nodes.TypeExpr:
        if len(children) == 1:
            return children[0]
        return nodes.TypeUnion(*_pos(meta), tuple(children))

    def type_option(self, meta: Any, children: list[Any]) -> nodes.TypeExpr:
        inner = children[0]
        if len(children) > 1:
            return nodes.TypeNullable(*_pos(meta), inner)
        return inner  # type: ignore[no-any-return]

    def type_generic(self, meta: Any, children: list[Any]) -> nodes.TypeExpr:
        atom = children[0]
        if len(children) == 1:
            return atom  # type: ignore[no-any-return]
        if not isinstance(atom, nodes.TypeName):
            return atom  # type: ignore[no-any-return]
        return nodes.TypeName(atom.line, atom.column, atom.name, tuple(children[1:]))

    def type_atom(self, meta: Any, children: list[Token]) -> nodes.TypeExpr:
        token = children[0]
        line, column = _pos(meta)
        if token.type in ("NAME", "QREF"):
            return nodes.TypeName(line, column, str(token))
        return nodes.TypeLiteral(line, column, _const_value(token))
