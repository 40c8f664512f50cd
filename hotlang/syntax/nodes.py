"""The typed syntax tree of Hot, produced by :mod:`hotlang.syntax.parser`.

Every node is a frozen dataclass carrying its 1-based ``line``/``column``.
Expressions and statements are separate unions so the compiler can match on
them exhaustively. Item folding (``name value`` → :class:`Binding`) has
already happened: bodies hold statements, never bare juxtaposed items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    """Base of all nodes: the source position where the node starts."""

    line: int
    column: int


# ---------------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeName(Node):
    """A named type, possibly generic or qualified: ``Int``, ``Vec<Str>``, ``::ns/T``."""

    name: str
    args: tuple[TypeExpr, ...] = ()


@dataclass(frozen=True)
class TypeLiteral(Node):
    """A literal type such as ``"apple"`` or ``200``."""

    value: Any


@dataclass(frozen=True)
class TypeNullable(Node):
    """``T?``: T or Null."""

    inner: TypeExpr


@dataclass(frozen=True)
class TypeUnion(Node):
    """``A | B``."""

    options: tuple[TypeExpr, ...]


TypeExpr = TypeName | TypeLiteral | TypeNullable | TypeUnion


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Const(Node):
    """A literal value: Int (int), Dec (Decimal), Str, Bool or Null."""

    value: Any


@dataclass(frozen=True)
class Template(Node):
    """A template string: literal text parts and interpolated expressions."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Ref(Node):
    """An unqualified name."""

    name: str


@dataclass(frozen=True)
class QualifiedRef(Node):
    """``::a::b/name``: ``namespace`` is ``::a::b`` (before alias expansion)."""

    namespace: str
    name: str


@dataclass(frozen=True)
class Spread(Node):
    """``...expr`` inside a vector, a map or an argument list."""

    expr: Expr


@dataclass(frozen=True)
class VectorLit(Node):
    """``[a, ...b, c]``."""

    items: tuple[Expr | Spread, ...]


@dataclass(frozen=True)
class MapEntry(Node):
    """``key: value`` (punned ``{name}`` entries become ``name: name``)."""

    key: str
    value: Expr


@dataclass(frozen=True)
class MapLit(Node):
    """``{k: v, ...m}``."""

    entries: tuple[MapEntry | Spread, ...]


@dataclass(frozen=True)
class Call(Node):
    """``callee(args)``; the callee is any expression."""

    callee: Expr
    args: tuple[Expr | Spread, ...]


@dataclass(frozen=True)
class Field(Node):
    """``target.name`` (null-safe)."""

    target: Expr
    name: str


@dataclass(frozen=True)
class Index(Node):
    """``target[key]`` (null-safe)."""

    target: Expr
    key: Expr


@dataclass(frozen=True)
class AppendSlot(Node):
    """``target[]``: only meaningful as a binding target (append)."""

    target: Expr


@dataclass(frozen=True)
class Do(Node):
    """``do expr``: forces a lazy parameter's thunk."""

    expr: Expr


@dataclass(frozen=True)
class Pipe(Node):
    """``a |> f(b) |> g``: stages after the first receive the value as first argument."""

    stages: tuple[Expr, ...]


@dataclass(frozen=True)
class Block(Node):
    """A serial sequence of statements whose value is the last one's."""

    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Param(Node):
    """A function parameter."""

    name: str
    type: TypeExpr | None = None
    lazy: bool = False
    rest: bool = False


@dataclass(frozen=True)
class Lambda(Node):
    """``(params) { body }``: captures its free variables by value when created.

    ``flow`` is ``"serial"``, or for a flow-based lambda (``cond (x) {…}``)
    the flow of its single-statement body, which an ``All<…>`` return type reshapes.
    """

    params: tuple[Param, ...]
    returns: TypeExpr | None
    body: Block
    flow: str = "serial"


@dataclass(frozen=True)
class CondArm(Node):
    """``test => label? result``; a missing test (or ``_``) is a default arm."""

    test: Expr | None
    label: str | None
    result: Expr


@dataclass(frozen=True)
class Cond(Node):
    """``cond { … }`` or ``cond-all { … }``."""

    arms: tuple[CondArm, ...]
    collect_all: bool = False


@dataclass(frozen=True)
class FnClause(Node):
    """One clause of a ``fn``: parameters, return type and body.

    ``flow`` is ``"serial"`` for an ordinary body, or ``"cond"``/``"cond-all"``
    when the body is a list of arms (kept in ``arms``).
    """

    params: tuple[Param, ...]
    returns: TypeExpr | None
    body: Expr
    flow: str = "serial"


@dataclass(frozen=True)
class FnExpr(Node):
    """``fn clause, clause, …``: a function with overloads."""

    clauses: tuple[FnClause, ...]


@dataclass(frozen=True)
class TypeField(Node):
    """``name: Type`` inside a struct type definition."""

    name: str
    type: TypeExpr


@dataclass(frozen=True)
class TypeDef(Node):
    """``type {field: Type, …}``: a struct type; its name is the binding's name.

    ``constructor`` holds extra constructor clauses written after the body;
    ``nominal`` marks a bodyless ``T type`` (wraps whatever it is given).
    """

    fields: tuple[TypeField, ...]
    constructor: FnExpr | None = None
    nominal: bool = False
    open: bool = False


@dataclass(frozen=True)
class TypeAlias(Node):
    """``T type Int`` / ``T type "a" | "b"``: a check-time alias, nothing at runtime but a type value."""

    type: TypeExpr
    open: bool = False


@dataclass(frozen=True)
class Variant(Node):
    """One enum variant, with the type of its payload if it carries one."""

    name: str
    payload: TypeExpr | None = None


@dataclass(frozen=True)
class EnumDef(Node):
    """``enum {A, B(T)}`` (``open`` lets arrows enrol more variants)."""

    variants: tuple[Variant, ...]
    open: bool = False


@dataclass(frozen=True)
class PatternValue(Node):
    """A literal match atom compared by structural equality."""

    value: Expr
    text: str


@dataclass(frozen=True)
class PatternType(Node):
    """A type match atom: ``Int``, ``Shape.Circle``, ``::ns/T``; ``nullable`` for ``T?``."""

    name: str
    variant: str | None
    nullable: bool
    text: str


@dataclass(frozen=True)
class MatchArm(Node):
    """``pattern | pattern (v) => result``; ``patterns`` is None for the default arm."""

    patterns: tuple[PatternValue | PatternType, ...] | None
    binding: str | None
    result: Expr


@dataclass(frozen=True)
class Match(Node):
    """``match subject {arms}`` / ``match-all``; in ``fn match`` the subject is the first parameter."""

    subject: Expr
    arms: tuple[MatchArm, ...]
    collect_all: bool = False


@dataclass(frozen=True)
class Parallel(Node):
    """``parallel {bindings}``: independent branches; the value is a Map of binding name to value.

    In a ``fn parallel`` body (``hidden_names``) unbound expressions get slots named ``$var_N``.
    """

    statements: tuple[Statement, ...]
    hidden_names: bool = False


@dataclass(frozen=True)
class Placeholder(Node):
    """``%``/``%N`` (``index`` is 1-based) before lowering into a lambda."""

    index: int


@dataclass(frozen=True)
class PlaceholderBoundary(Node):
    """``%(expr)``: the placeholders inside make a lambda right here."""

    expr: Expr


@dataclass(frozen=True)
class Raw(Node):
    """``!expr``: evaluate without halting on Err (the value is kept as a Result)."""

    expr: Expr


Expr = (
    Const
    | Template
    | Ref
    | QualifiedRef
    | VectorLit
    | MapLit
    | Call
    | Field
    | Index
    | AppendSlot
    | Do
    | Pipe
    | Block
    | Lambda
    | Cond
    | FnExpr
    | TypeDef
    | TypeAlias
    | EnumDef
    | Match
    | Parallel
    | Placeholder
    | PlaceholderBoundary
    | Raw
)


# ----------------------------------------------------------------- statements


@dataclass(frozen=True)
class PathStep(Node):
    """One step of a binding path: ``.key``, ``[int]``, ``["str"]``, ``[name]`` or ``[]``.

    ``kind`` is ``"key"`` (``key`` is a str), ``"index"`` (an int),
    ``"var"`` (``key`` names a variable holding the key) or ``"append"``.
    """

    kind: str
    key: Any = None


@dataclass(frozen=True)
class Target(Node):
    """The left side of a binding: a name, possibly with a deep path and a type."""

    name: str
    path: tuple[PathStep, ...] = ()
    type: TypeExpr | None = None


@dataclass(frozen=True)
class Binding(Node):
    """``target value``, with the literal ``meta`` written around it (plain JSON)."""

    target: Target
    value: Expr
    meta: Any = None


@dataclass(frozen=True)
class ExprStatement(Node):
    """An expression evaluated for its value or effect."""

    expr: Expr


@dataclass(frozen=True)
class ArrowDecl(Node):
    """``Src -> Dst fn (s: Src): Dst {…}`` or bodyless ``Bird -> Animal.Bird`` (open enum enrolment)."""

    source: str
    target: str
    variant: str | None
    fn: FnExpr | None
    meta: Any = None


@dataclass(frozen=True)
class NamespaceDecl(Node):
    """``::a::b ns`` (with optional ``meta``)."""

    path: str
    meta: Any = None


@dataclass(frozen=True)
class NamespaceAlias(Node):
    """``::short ::long::path``."""

    alias: str
    path: str


Statement = Binding | ExprStatement | NamespaceDecl | NamespaceAlias | ArrowDecl


@dataclass(frozen=True)
class Module(Node):
    """A parsed file: its statements in source order."""

    statements: tuple[Statement, ...] = field(default=())
