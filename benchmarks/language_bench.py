"""The Hot interpreter against idiomatic CPython on five programs (target T6, ``docs/targets.md``).

Each program is written twice, once in Hot and once in plain Python doing the same work;
the ratio is Hot's best time over Python's best time. Run alone with
``python -m benchmarks.language_bench``.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks.table import Row, print_table
from hotlang import NullHost, load_program

GOAL = 5.0

HOT_SOURCE = """
::bench::lang ns

fib fn (n) {
  if(lt(n, 2), n, add(fib(sub(n, 1)), fib(sub(n, 2))))
}

collections fn (n) {
  xs range(n)
  evens filter(xs, (x) { eq(mod(x, 2), 0) })
  squares map(evens, (x) { mul(x, x) })
  reduce(squares, (acc, x) { add(acc, x) }, 0)
}

strings fn (n) {
  parts map(range(n), (i) { `item-${i}` })
  text join(parts, ",")
  length(text)
}

json-trips fn (n) {
  record {name: "widget", tags: ["a", "b", "c"], price: 19.99, count: 3, nested: {ok: true, ids: [1, 2, 3]}}
  reduce(range(n), (acc, i) {
    back from-json(to-json(record))
    add(acc, back.count)
  }, 0)
}

is-prime fn (n) {
  is-prime-from(n, 2)
}

is-prime-from fn (n, d) {
  cond {
    gt(mul(d, d), n) => true
    eq(mod(n, d), 0) => false
    => is-prime-from(n, add(d, 1))
  }
}

primes fn (n) {
  length(filter(range(2, n), is-prime))
}
"""


def py_fib(n: int) -> int:
    return n if n < 2 else py_fib(n - 1) + py_fib(n - 2)


def py_collections(n: int) -> int:
    evens = [x for x in range(n) if x % 2 == 0]
    return sum(x * x for x in evens)


def py_strings(n: int) -> int:
    return len(",".join(f"item-{i}" for i in range(n)).encode())


def py_json_trips(n: int) -> int:
    record = {
        "name": "widget",
        "tags": ["a", "b", "c"],
        "price": 19.99,
        "count": 3,
        "nested": {"ok": True, "ids": [1, 2, 3]},
    }
    total = 0
    for _ in range(n):
        total += json.loads(json.dumps(record, separators=(",", ":")))["count"]
    return total


def py_primes(n: int) -> int:
    def is_prime(k: int) -> bool:
        d = 2
        while d * d <= k:
            if k % d == 0:
                return False
            d += 1
        return True

    return sum(1 for k in range(2, n) if is_prime(k))


PROGRAMS: list[tuple[str, str, Callable[[int], Any], int]] = [
    ("recursive fib(22)", "fib", py_fib, 22),
    ("map/filter/reduce over 100k", "collections", py_collections, 100_000),
    ("string building, 50k parts", "strings", py_strings, 50_000),
    ("JSON round-trips x5k", "json-trips", py_json_trips, 5_000),
    ("primes below 20k by trial division", "primes", py_primes, 20_000),
]


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(repeat: int = 3) -> list[Row]:
    """One row per program: Hot time / CPython time, against the ≤5× goal."""
    program = load_program({"bench/lang.hot": HOT_SOURCE})
    host = NullHost()
    rows: list[Row] = []
    for what, name, python_fn, n in PROGRAMS:
        py_time, expected = _best(functools.partial(python_fn, n), repeat)
        hot_time, got = _best(functools.partial(program.call, f"::bench::lang/{name}", [n], host=host), repeat)
        if got != expected:
            raise AssertionError(f"{name}: Hot gave {got!r}, Python gave {expected!r}")
        ratio = hot_time / py_time
        measured = f"{ratio:.1f}x ({hot_time * 1000:.0f} ms vs {py_time * 1000:.1f} ms)"
        rows.append(Row("T6", f"Hot vs CPython: {what}", measured, f"<= {GOAL:.0f}x", ratio <= GOAL))
    return rows


if __name__ == "__main__":
    print_table(run())
