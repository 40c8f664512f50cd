"""The native core library, organised by Hot namespace (one module per namespace group).

:func:`core_library` returns, for a new program, fresh copies of the native
namespaces and of the core registry (names visible unqualified everywhere).
"""

from __future__ import annotations

import builtins
from typing import Any

from hotlang.core import bits, coll, io, iter, json, lang, logic, math, nested, platform, str, test, transform, types
from hotlang.core.registry import Library

LIBRARIES: tuple[Library, ...] = (
    math.lib,
    logic.cmp,
    logic.boolean,
    coll.lib,
    str.lib,
    types.lib,
    json.lib,
    io.io,
    io.run,
    platform.event,
    platform.stream,
    iter.lib,
    test.lib,
    transform.lib,
    nested.coll,
    nested.maps,
    lang.lang,
    lang.io,
    lang.ctx,
    lang.env,
    lang.time,
    bits.bit,
    bits.data,
    bits.types,
)


def core_library() -> tuple[dict[builtins.str, dict[builtins.str, Any]], dict[builtins.str, Any]]:
    """Return ``(namespaces, core)``: native globals by namespace, and the unqualified registry."""
    namespaces: dict[builtins.str, dict[builtins.str, Any]] = {}
    core: dict[builtins.str, Any] = {}
    for library in LIBRARIES:
        values = library.globals()
        namespaces.setdefault(library.namespace, {}).update(values)
        for name in library.core:
            core[name] = values[name]
    return namespaces, core
