"""The native core library, organised by Hot namespace (one module per namespace group).

:func:`core_library` returns, for a new program, fresh copies of the native
namespaces and of the core registry (names visible unqualified everywhere).
"""

from __future__ import annotations

from typing import Any

from hotlang.library import (
    arithmetic,
    assertions,
    bits,
    coll,
    conversions,
    crypto,
    digest,
    encoding,
    events,
    http_calls,
    iterators,
    json_text,
    lang,
    logic,
    nested,
    run_io,
    temporal,
    text,
    transform,
    uri,
    uuids,
)
from hotlang.library.registry import Library
from hotlang.runtime.functions import Native

LIBRARIES: tuple[Library, ...] = (
    # the small namespaces packages rely on (integrations-spec §4, decision 0023)
    encoding.b64,
    encoding.hexa,
    digest.hashes,
    digest.mac,
    digest.random,
    crypto.lib,
    uuids.lib,
    uri.lib,
    temporal.time,
    arithmetic.lib,
    logic.cmp,
    logic.boolean,
    coll.lib,
    text.lib,
    conversions.lib,
    json_text.lib,
    run_io.io,
    run_io.run,
    events.event,
    events.stream,
    iterators.lib,
    assertions.lib,
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
    http_calls.lib,
)


def core_library() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Return ``(namespaces, core)``: native globals by namespace, and the unqualified registry."""
    namespaces: dict[str, dict[str, Any]] = {}
    core: dict[str, Any] = {}
    for library in LIBRARIES:
        values = library.globals()
        namespaces.setdefault(library.namespace, {}).update(values)
        for name in library.core:
            core[name] = values[name]
    return namespaces, core


def native_arrows() -> list[tuple[str, str, Native]]:
    """The built-in ``Source -> Target`` conversions (``Uuid -> Str`` …) every program starts with."""
    return [arrow for library in LIBRARIES for arrow in library.arrows]
