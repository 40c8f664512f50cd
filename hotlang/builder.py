"""Turns the lark parse tree into the typed AST of :mod:`hotlang.ast`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, v_args

from hotlang import ast
from hotlang.fold import Item, MetaItem, TypedTargetItem, fold, literal_json
from hotlang.lexer import TemplatePart
from hotlang.source import SourceText

ParseTokens = Callable[[list[Token], str], Any]


class _Returns:
    """Wrapper marking the ``: Type`` child of a function or lambda."""

    def __init__(self, type_expr: ast.TypeExpr) -> None:
        self.type = type_expr


class _DefaultTest:
    """Marker for the ``_`` test of a default arm."""


class _Binding:
    """The ``(v)`` of a match arm."""

    def __init__(self, name: str) -> None:
        self.name = name


def _pos(meta: Any) -> tuple[int, int]:
    return getattr(meta, "line", 0), getattr(meta, "column", 0)


def _split_returns(children: list[Any]) -> tuple[ast.TypeExpr | None, list[Any]]:
    rest = []
    returns = None
    for child in children:
        if isinstance(child, _Returns):
            returns = child.type
        else:
            rest.append(child)
    return returns, rest


def _single(expr: Any) -> ast.Block:
    """A block holding one expression statement (the body of a flow-based lambda)."""
    return ast.Block(expr.line, expr.column, (ast.ExprStatement(expr.line, expr.column, expr),))


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

    def start(self, meta: Any, children: list[Item]) -> ast.Module:
        return ast.Module(1, 1, fold(children, self.source))

    def body(self, meta: Any, children: list[Item]) -> tuple[ast.Statement, ...]:
        return fold(children, self.source)

    def typed_target(self, meta: Any, children: list[Any]) -> TypedTargetItem:
        name, type_expr = children
        return TypedTargetItem(*_pos(meta), str(name), type_expr)

    def meta_item(self, meta: Any, children: list[Any]) -> MetaItem:
        line, column = _pos(meta)
        return MetaItem(line, column, literal_json(children[0], self.source, self.source.offset(line, column)))

    def ns_decl(self, meta: Any, children: list[Any]) -> ast.NamespaceDecl:
        path = str(children[0])
        meta_value: Any = None
        for child in children[1:]:
            if isinstance(child, MetaItem):
                meta_value = child.value
        return ast.NamespaceDecl(*_pos(meta), path, meta_value)

    def arrow_decl(self, meta: Any, children: list[Any]) -> ast.ArrowDecl:
        source = str(children[0])
        target, variant = children[1]
        fn = next((c for c in children[2:] if isinstance(c, ast.FnExpr)), None)
        meta_value = next((c.value for c in children[2:] if isinstance(c, MetaItem)), None)
        return ast.ArrowDecl(*_pos(meta), source, target, variant, fn, meta_value)

    def arrow_target(self, meta: Any, children: list[Token]) -> tuple[str, str | None]:
        return str(children[0]), str(children[1]) if len(children) > 1 else None

    def ns_alias(self, meta: Any, children: list[Any]) -> ast.NamespaceAlias:
        return ast.NamespaceAlias(*_pos(meta), str(children[0]), str(children[1]))

    # -- expressions --------------------------------------------------------------

    def pipe(self, meta: Any, children: list[Any]) -> ast.Pipe:
        left, right = children
        if isinstance(left, ast.Pipe):
            return ast.Pipe(left.line, left.column, (*left.stages, right))
        return ast.Pipe(*_pos(meta), (left, right))

    def do_expr(self, meta: Any, children: list[Any]) -> ast.Do:
        return ast.Do(*_pos(meta), children[-1])

    def raw_expr(self, meta: Any, children: list[Any]) -> ast.Raw:
        return ast.Raw(*_pos(meta), children[-1])

    def placeholder(self, meta: Any, children: list[Token]) -> ast.Placeholder:
        text = str(children[0])[1:]
        line, column = _pos(meta)
        if text == "0":
            raise self.source.error(
                "`%0` is not a placeholder: they count from `%1` (and `%` means `%1`)", self.source.offset(line, column)
            )
        return ast.Placeholder(line, column, int(text) if text else 1)

    def placeholder_boundary(self, meta: Any, children: list[Any]) -> ast.PlaceholderBoundary:
        return ast.PlaceholderBoundary(*_pos(meta), children[-1])

    def call(self, meta: Any, children: list[Any]) -> ast.Call:
        return ast.Call(*_pos(meta), children[0], children[1])

    def index(self, meta: Any, children: list[Any]) -> ast.Index:
        return ast.Index(*_pos(meta), children[0], children[1])

    def append_slot(self, meta: Any, children: list[Any]) -> ast.AppendSlot:
        return ast.AppendSlot(*_pos(meta), children[0])

    def field(self, meta: Any, children: list[Any]) -> ast.Field:
        return ast.Field(*_pos(meta), children[0], str(children[1]))

    def args(self, meta: Any, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)

    def spread(self, meta: Any, children: list[Any]) -> ast.Spread:
        return ast.Spread(*_pos(meta), children[-1])

    def literal(self, meta: Any, children: list[Token]) -> ast.Const:
        return ast.Const(*_pos(meta), _const_value(children[0]))

    def ref(self, meta: Any, children: list[Token]) -> ast.Ref:
        return ast.Ref(*_pos(meta), str(children[0]))

    def qref(self, meta: Any, children: list[Token]) -> ast.QualifiedRef:
        namespace, _, name = str(children[0]).rpartition("/")
        return ast.QualifiedRef(*_pos(meta), namespace, name)

    def template(self, meta: Any, children: list[Token]) -> ast.Template | ast.Const:
        token = children[0]
        parts: list[str | ast.Expr] = []
        for part in self.templates[token.start_pos or 0]:
            if isinstance(part, str):
                parts.append(part)
            else:
                parts.append(self.parse_tokens(part, "expr"))
        line, column = _pos(meta)
        if all(isinstance(part, str) for part in parts):
            return ast.Const(line, column, "".join(part for part in parts if isinstance(part, str)))
        return ast.Template(line, column, tuple(parts))

    def vector(self, meta: Any, children: list[Any]) -> ast.VectorLit:
        return ast.VectorLit(*_pos(meta), tuple(children))

    def map(self, meta: Any, children: list[Any]) -> ast.MapLit:
        return ast.MapLit(*_pos(meta), tuple(children))

    def pair(self, meta: Any, children: list[Any]) -> ast.MapEntry:
        return ast.MapEntry(*_pos(meta), children[0], children[1])

    def pun(self, meta: Any, children: list[Token]) -> ast.MapEntry:
        line, column = _pos(meta)
        return ast.MapEntry(line, column, str(children[0]), ast.Ref(line, column, str(children[0])))

    def key(self, meta: Any, children: list[Token]) -> str:
        return str(children[0])

    def block(self, meta: Any, children: list[Any]) -> ast.Block:
        return ast.Block(*_pos(meta), children[-1])

    def lambda_expr(self, meta: Any, children: list[Any]) -> ast.Lambda:
        returns, rest = _split_returns([c for c in children if not isinstance(c, Token)])
        params, statements = rest
        line, column = _pos(meta)
        return ast.Lambda(line, column, params, returns, ast.Block(line, column, statements))

    def lambda_cond(self, meta: Any, children: list[Any]) -> ast.Lambda:
        """``cond (x) {arms}`` / ``cond-all (x) {arms}``: a lambda whose body is one cond flow."""
        clause = self.clause_cond(meta, children)
        return ast.Lambda(clause.line, clause.column, clause.params, clause.returns, _single(clause.body), clause.flow)

    def lambda_parallel(self, meta: Any, children: list[Any]) -> ast.Lambda:
        """``parallel (x) {…}``: a lambda whose body is one parallel flow."""
        clause = self.clause_parallel(meta, children)
        return ast.Lambda(clause.line, clause.column, clause.params, clause.returns, _single(clause.body), clause.flow)

    # -- functions ------------------------------------------------------------------

    def fn_expr(self, meta: Any, children: list[Any]) -> ast.FnExpr:
        return ast.FnExpr(*_pos(meta), tuple(child for child in children if isinstance(child, ast.FnClause)))

    def clause_body(self, meta: Any, children: list[Any]) -> ast.FnClause:
        returns, rest = _split_returns([c for c in children if not isinstance(c, Token)])
        params, statements = rest
        line, column = _pos(meta)
        return ast.FnClause(line, column, params, returns, ast.Block(line, column, statements))

    def clause_expr(self, meta: Any, children: list[Any]) -> ast.FnClause:
        returns, rest = _split_returns(children)
        params, body = rest
        return ast.FnClause(*_pos(meta), params, returns, body)

    def clause_cond(self, meta: Any, children: list[Any]) -> ast.FnClause:
        keyword = children[0]
        returns, rest = _split_returns(children[1:])
        params, arms = rest[0], rest[1:]
        line, column = _pos(meta)
        collect_all = keyword.type == "COND_ALL"
        body = ast.Cond(line, column, tuple(arms), collect_all)
        return ast.FnClause(line, column, params, returns, body, "cond-all" if collect_all else "cond")

    def clause_match(self, meta: Any, children: list[Any]) -> ast.FnClause:
        keyword = children[0]
        returns, rest = _split_returns(children[1:])
        params, arms = rest[0], rest[1:]
        line, column = _pos(meta)
        collect_all = keyword.type == "MATCH_ALL"
        if not params:
            raise self.source.error("`fn match` needs a parameter to match on", self.source.offset(line, column))
        subject = ast.Ref(line, column, params[0].name)
        body = ast.Match(line, column, subject, tuple(arms), collect_all)
        return ast.FnClause(line, column, params, returns, body, "match-all" if collect_all else "match")

    def clause_parallel(self, meta: Any, children: list[Any]) -> ast.FnClause:
        returns, rest = _split_returns(children[1:])
        params, statements = rest
        line, column = _pos(meta)
        body = ast.Parallel(line, column, statements, hidden_names=True)
        return ast.FnClause(line, column, params, returns, body, "parallel")

    def params(self, meta: Any, children: list[ast.Param]) -> tuple[ast.Param, ...]:
        return tuple(children)

    def param(self, meta: Any, children: list[Any]) -> ast.Param:
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
        return ast.Param(*_pos(meta), name, type_expr, lazy, rest)

    def ret(self, meta: Any, children: list[Any]) -> _Returns:
        return _Returns(children[0])

    # -- flows ------------------------------------------------------------------

    def cond(self, meta: Any, children: list[Any]) -> ast.Cond:
        keyword = children[0]
        return ast.Cond(*_pos(meta), tuple(children[1:]), keyword.type == "COND_ALL")

    def cond_arm(self, meta: Any, children: list[Any]) -> ast.CondArm:
        result = children[-1]
        test: Any = None
        label = None
        for child in children[:-1]:
            if isinstance(child, Token) and child.type == "LABEL":
                label = str(child)
            elif not isinstance(child, _DefaultTest):
                test = child
        return ast.CondArm(*_pos(meta), test, label, result)

    def default_test(self, meta: Any, children: list[Any]) -> _DefaultTest:
        return _DefaultTest()

    def parallel_block(self, meta: Any, children: list[Any]) -> ast.Parallel:
        return ast.Parallel(*_pos(meta), children[-1])

    def match_expr(self, meta: Any, children: list[Any]) -> ast.Match:
        keyword, subject, *arms = children
        return ast.Match(*_pos(meta), subject, tuple(arms), keyword.type == "MATCH_ALL")

    def match_arm(self, meta: Any, children: list[Any]) -> ast.MatchArm:
        result = children[-1]
        patterns: Any = None
        binding = None
        if len(children) == 2:
            patterns, binding = children[0]
        return ast.MatchArm(*_pos(meta), patterns, binding, result)

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

    def pat_value(self, meta: Any, children: list[Any]) -> ast.PatternValue:
        node = children[0]
        line, column = _pos(meta)
        end = getattr(meta, "end_pos", None)
        start = getattr(meta, "start_pos", None)
        text = self.source.text[start:end] if start is not None and end is not None else ""
        return ast.PatternValue(line, column, node, text)

    def pat_type(self, meta: Any, children: list[Token]) -> ast.PatternType:
        name = str(children[0])
        variant = None
        nullable = False
        for token in children[1:]:
            if token.type == "QMARK":
                nullable = True
            else:
                variant = str(token)
        text = name + (f".{variant}" if variant else "") + ("?" if nullable else "")
        return ast.PatternType(*_pos(meta), name, variant, nullable, text)

    # -- types --------------------------------------------------------------------

    def type_def(self, meta: Any, children: list[Any]) -> ast.TypeDef:
        fields = tuple(child for child in children if isinstance(child, ast.TypeField))
        constructor = next((child for child in children if isinstance(child, ast.FnExpr)), None)
        is_open = any(isinstance(child, Token) and child.type == "OPEN" for child in children)
        nominal = not any(isinstance(child, Token) and child.type == "_MAP_LB" for child in children) and not fields
        has_body = len([c for c in children if not isinstance(c, Token) or c.type not in ("TYPE", "OPEN")]) > 0
        return ast.TypeDef(*_pos(meta), fields, constructor, nominal and not has_body and constructor is None, is_open)

    def type_alias(self, meta: Any, children: list[Any]) -> ast.TypeAlias:
        is_open = any(isinstance(child, Token) and child.type == "OPEN" for child in children)
        return ast.TypeAlias(*_pos(meta), children[-1], is_open)

    def enum_def(self, meta: Any, children: list[Any]) -> ast.EnumDef:
        is_open = any(isinstance(child, Token) and child.type == "OPEN" for child in children)
        return ast.EnumDef(*_pos(meta), tuple(c for c in children if isinstance(c, ast.Variant)), is_open)

    def variant(self, meta: Any, children: list[Any]) -> ast.Variant:
        return ast.Variant(*_pos(meta), str(children[0]), children[1] if len(children) > 1 else None)

    def type_field(self, meta: Any, children: list[Any]) -> ast.TypeField:
        return ast.TypeField(*_pos(meta), str(children[0]), children[1])

    def type(self, meta: Any, children: list[ast.TypeExpr]) -> ast.TypeExpr:
        if len(children) == 1:
            return children[0]
        return ast.TypeUnion(*_pos(meta), tuple(children))

    def type_option(self, meta: Any, children: list[Any]) -> ast.TypeExpr:
        inner = children[0]
        if len(children) > 1:
            return ast.TypeNullable(*_pos(meta), inner)
        return inner  # type: ignore[no-any-return]

    def type_generic(self, meta: Any, children: list[Any]) -> ast.TypeExpr:
        atom = children[0]
        if len(children) == 1:
            return atom  # type: ignore[no-any-return]
        if not isinstance(atom, ast.TypeName):
            return atom  # type: ignore[no-any-return]
        return ast.TypeName(atom.line, atom.column, atom.name, tuple(children[1:]))

    def type_atom(self, meta: Any, children: list[Token]) -> ast.TypeExpr:
        token = children[0]
        line, column = _pos(meta)
        if token.type in ("NAME", "QREF"):
            return ast.TypeName(line, column, str(token))
        return ast.TypeLiteral(line, column, _const_value(token))
