"""Types at runtime (spec §3.9): struct constructors, enums, variants, type paths and arrows.

A value's *type path* is ``::hot::type/Int`` … for built-in values and the
``$type`` of a tagged value. A type *matches* a value when the paths are equal
or the value's path continues with ``.`` (so ``Shape`` matches
``Shape.Circle`` and ``Result`` matches ``Result.Err``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.runtime.values import FunctionValue, HotIter, Tagged, Thunk, force, type_name

BUILTIN = "::hot::type/"
BUILTIN_NAMES = ("Int", "Dec", "Str", "Bool", "Null", "Vec", "Map", "Bytes", "Fn", "Any", "Iter")
ANY_PATH = BUILTIN + "Any"


def value_type_path(value: Any) -> str:
    """The runtime type path of any Hot value."""
    kind = type(value)
    if kind is Tagged:
        return str(value.type_path)
    if kind is bool:
        return BUILTIN + "Bool"
    if kind is int:
        return BUILTIN + "Int"
    if kind is Decimal:
        return BUILTIN + "Dec"
    if kind is str:
        return BUILTIN + "Str"
    if value is None:
        return BUILTIN + "Null"
    if kind is list:
        return BUILTIN + "Vec"
    if kind is dict:
        return BUILTIN + "Map"
    if kind is bytes:
        return BUILTIN + "Bytes"
    if kind is HotIter:
        return "::hot::iter/Iter"
    if kind is Thunk:
        return value_type_path(force(value))
    return BUILTIN + "Fn"


def path_matches(value_path: str, type_path: str) -> bool:
    """Exact, or the value's path continues the type's path with ``.``."""
    if type_path == ANY_PATH:
        return True
    return value_path == type_path or value_path.startswith(type_path + ".")


def type_path_of(type_value: Any) -> str | None:
    """The path a type-like value stands for: a type, enum, variant, constructor or a path string."""
    if isinstance(type_value, (StructType, EnumType, VariantConstructor, TypeAliasValue)):
        return type_value.path
    if type(type_value) is Tagged:
        return str(type_value.type_path)
    if type(type_value) is str:
        return type_value
    if isinstance(type_value, FunctionValue):
        name = getattr(type_value, "name", "")
        if name.startswith(BUILTIN):
            return str(name)
    return None


class StructType(FunctionValue):
    """``T type {…}``: ``T({…})`` tags the map; ``null`` stays null; extra clauses may follow.

    A bare ``T type`` is *nominal*: it wraps whatever value it is given.
    """

    __slots__ = ("constructor", "fields", "lazy", "name", "nominal", "path")

    def __init__(self, path: str, fields: tuple[str, ...], *, nominal: bool = False) -> None:
        self.name = path
        self.path = path
        self.fields = fields
        self.nominal = nominal
        self.lazy = frozenset()
        self.constructor: FunctionValue | None = None

    def __repr__(self) -> str:
        return f"<type {self.path}>"

    def call(self, args: list[Any]) -> Any:
        if self.constructor is not None and not (len(args) == 1 and type(args[0]) in (dict, Tagged)):
            return self.constructor.call(args)
        if not args:
            return Tagged(self.path, {})
        if len(args) > 1:
            raise HotRuntimeError(f"`{self.path}` takes a map of its fields, but was given {len(args)} arguments")
        value = args[0]
        if self.nominal:
            return value if type(value) is Tagged and value.type_path == self.path else Tagged(self.path, value)
        if value is None:
            return None
        if type(value) is Tagged:
            if value.type_path == self.path:
                return value
            value = value.payload
        if type(value) is not dict:
            raise HotRuntimeError(f"`{self.path}` expects a Map of its fields, got {type_name(value)}")
        return Tagged(self.path, dict(value))


class TypeAliasValue:
    """``T type Int`` or a literal union: only a name at runtime (for ``is-type`` it means its target)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"<type {self.path}>"


class VariantConstructor(FunctionValue):
    """``Shape.Circle``: runs the payload through its type's constructor, stores the raw payload."""

    __slots__ = ("lazy", "name", "path", "payload_type")

    def __init__(self, path: str, payload_type: Any) -> None:
        self.name = path
        self.path = path
        self.payload_type = payload_type
        self.lazy = frozenset()

    def __repr__(self) -> str:
        return f"<variant {self.path}>"

    def call(self, args: list[Any]) -> Any:
        if len(args) != 1:
            raise HotRuntimeError(f"`{self.path}` takes 1 argument, but was given {len(args)}")
        value = args[0]
        constructor = self.payload_type
        if isinstance(constructor, FunctionValue) and not (type(value) is Tagged and value.type_path == self.path):
            value = constructor.call([value])
        if type(value) is Tagged and value.type_path == self.path:
            return value
        if type(value) is Tagged and value.kind == 0 and isinstance(constructor, StructType):
            value = value.payload
        return Tagged(self.path, value)


class EnumType:
    """``E enum {A, B(T)}``: ``E.A`` is a value, ``E.B`` a constructor; open enums accept enrolments."""

    __slots__ = ("is_open", "path", "variants")

    def __init__(self, path: str, *, is_open: bool = False) -> None:
        self.path = path
        self.is_open = is_open
        self.variants: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<enum {self.path}>"

    def add_unit(self, name: str) -> None:
        self.variants[name] = Tagged(f"{self.path}.{name}", None, has_payload=False)

    def add_payload(self, name: str, payload_type: Any) -> None:
        self.variants[name] = VariantConstructor(f"{self.path}.{name}", payload_type)

    def member(self, name: str) -> Any:
        if name in self.variants:
            return self.variants[name]
        raise HotRuntimeError(f"`{self.path}` has no variant `{name}`")


class Arrows:
    """``Src -> Dst`` conversions of one program, keyed by (source path, target path)."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, str], FunctionValue] = {}

    def add(self, source: str, target: str, fn: FunctionValue) -> None:
        self.table[(source, target)] = fn

    def find(self, source: str, target: str) -> FunctionValue | None:
        """The unique arrow from ``source`` to ``target`` or to one of ``target``'s variants."""
        exact = self.table.get((source, target))
        if exact is not None:
            return exact
        found = [fn for (src, dst), fn in self.table.items() if src == source and dst.startswith(target + ".")]
        return found[0] if len(found) == 1 else None

    def find_short(self, source: str, short: str) -> FunctionValue | None:
        """The unique arrow from ``source`` to a type named ``short`` (or one of its variants)."""
        short = short.rpartition("/")[2]
        found = [
            fn
            for (src, dst), fn in self.table.items()
            if src == source and (dst.rpartition("/")[2] == short or dst.rpartition("/")[2].startswith(short + "."))
        ]
        return found[0] if len(found) == 1 else None

    def convert(self, value: Any, target: str) -> tuple[bool, Any]:
        """Apply the arrow from ``value``'s type to ``target``, if one exists."""
        if type(value) is not Tagged:
            return False, value
        fn = self.find(value.type_path, target)
        if fn is None:
            return False, value
        return True, fn.call([value])
