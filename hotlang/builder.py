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
        returns, rest = _split_returns(children)
        params, statements = rest
        line, column = _pos(meta)
        return ast.Lambda(line, column, params, returns, ast.Block(line, column, statements))

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

    # -- types --------------------------------------------------------------------

    def type_def(self, meta: Any, children: list[Any]) -> ast.TypeDef:
        return ast.TypeDef(*_pos(meta), tuple(child for child in children if isinstance(child, ast.TypeField)))

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
