"""AST → Python closures. Importing this package registers every node compiler."""

from hotlang.compiler import calls, flows, functions, matching, typedefs, values
from hotlang.compiler.context import Ctx, Unit
from hotlang.compiler.dispatch import compile_expr, compile_statement
from hotlang.compiler.flows import compile_statements
from hotlang.compiler.functions import top_level_function
from hotlang.compiler.typedefs import struct_type

__all__ = [
    "Ctx",
    "Unit",
    "calls",
    "compile_expr",
    "compile_statement",
    "compile_statements",
    "flows",
    "functions",
    "matching",
    "struct_type",
    "top_level_function",
    "typedefs",
    "values",
]
