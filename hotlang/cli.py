"""``hot run FILE [ARGS...]``: load one file and run it.

If the file's namespace defines ``main``, it is called with the ARGS as
strings and its result is printed; otherwise the value of the file's last
top-level expression is printed. Exit codes: 0 success, 1 runtime failure
(message and Hot stack on stderr), 2 syntax error or bad usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hotlang.display import display
from hotlang.errors import HotError, HotRuntimeError, HotSyntaxError
from hotlang.functions import Function
from hotlang.program import load_program

USAGE = "usage: hot run FILE [ARGS...]"


def run_file(path: str, args: list[str]) -> int:
    """Load ``path`` alone, run it, print the result; return the exit code."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        print(f"hot: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        program = load_program({path: source})
        main = None
        for namespace in program.namespaces_of(path):
            candidate = program.lookup(f"{namespace}/main") if _defines(program, namespace, "main") else None
            if isinstance(candidate, Function):
                main = candidate
                break
        result = program.call_value(main, list(args), name=main.name) if main is not None else program.last_value(path)
    except HotSyntaxError as error:
        print(error.format(), file=sys.stderr)
        return 2
    except HotRuntimeError as error:
        print(error.format(), file=sys.stderr)
        return 1
    except HotError as error:  # pragma: no cover - every HotError is one of the two above
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(display(result))
    return 0


def _defines(program: object, namespace: str, name: str) -> bool:
    try:
        program.lookup(f"{namespace}/{name}")  # type: ignore[attr-defined]
    except HotRuntimeError:
        return False
    return True


def main(argv: list[str]) -> int:
    """Entry point: ``argv`` excludes the program name (``["run", "file.hot", ...]``)."""
    if len(argv) < 2 or argv[0] != "run":
        print(USAGE, file=sys.stderr)
        return 2
    return run_file(argv[1], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
