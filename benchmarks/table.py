"""The benchmark report table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    target: str
    what: str
    measured: str
    goal: str
    met: bool | None


def print_table(rows: list[Row]) -> None:
    headers = ("id", "what", "measured", "target", "met")
    cells = [(r.target, r.what, r.measured, r.goal, {True: "yes", False: "no", None: "-"}[r.met]) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
