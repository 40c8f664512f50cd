"""``::hot::iter``: stateful iterators (spec §3.11)."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_int
from hotlang.library.registry import Library
from hotlang.runtime.keys import map_pairs
from hotlang.runtime.limits import check_size, current_limits
from hotlang.runtime.values import HotIter, type_name

lib = Library("::hot::iter")


@lib.native("Iter", 1)
def iter_(collection: Any) -> HotIter:
    kind = type(collection)
    if kind is HotIter:
        return collection  # type: ignore[no-any-return]
    if kind is list or kind is str:
        check_size(len(collection), "Iter")
        return HotIter(iter(list(collection)))
    if kind is dict:
        return HotIter(iter(map_pairs(collection)))
    if collection is None:
        return HotIter(iter(()))
    raise HotRuntimeError(f"Iter expects a Vec, Map or Str, got {type_name(collection)}")


@lib.native("next", 1)
def next_(iterator: Any) -> dict[str, Any]:
    if type(iterator) is not HotIter:
        raise HotRuntimeError(f"next expects an Iter, got {type_name(iterator)}")
    done, value = iterator.next()
    if iterator.announce is not None and not done and value is not None:
        iterator.announce(value)
    return {"value": value, "done": done}


@lib.native("collect", 1)
def collect(iterator: Any) -> list[Any]:
    if type(iterator) is HotIter:
        if iterator.announce is None:
            return iterator.remaining()
        items: list[Any] = []  # an announcing Iter (an HTTP stream) publishes each value as it is pulled
        while True:
            done, value = iterator.next()
            if done:
                return items
            if value is not None:
                iterator.announce(value)
            items.append(value)
            check_size(len(items), "collecting an Iter")
    if type(iterator) is list:
        return list(iterator)
    raise HotRuntimeError(f"collect expects an Iter, got {type_name(iterator)}")


@lib.native("take", 2)
def take(source: Any, count: Any) -> list[Any]:
    wanted = expect_int("take", count)
    if type(source) is HotIter:
        limit = current_limits().max_items
        out = []
        for _ in range(min(max(wanted, 0), limit + 1)):
            done, value = source.next()
            if done:
                break
            out.append(value)
        check_size(len(out), "take")
        return out
    if type(source) in (list, str):
        return list(source[: max(wanted, 0)])
    raise HotRuntimeError(f"take expects an Iter or Vec, got {type_name(source)}")


@lib.native("range", 1, 3, core=False)
def lazy_range(start: Any, end: Any = None, step: Any = 1) -> HotIter:
    """``::hot::iter/range``: like core ``range`` but lazy (an Iter), so it may be endless-ish."""
    if end is None:
        start, end = 0, start
    low, high, stride = expect_int("range", start), expect_int("range", end), expect_int("range", step)
    if stride == 0:
        raise HotRuntimeError("range step cannot be 0")
    return HotIter(iter(range(low, high, stride)))
