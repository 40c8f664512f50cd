"""The ``hot`` language commands: ``run``, ``test``, ``check`` and ``repl``.

``hot run FILE [ARGS...]``
    If the file's namespace defines ``main``, it is called with the ARGS as
    strings and its result is printed; otherwise the value of the file's last
    top-level expression is printed. Exit codes: 0 success, 1 runtime failure
    (message and Hot stack on stderr), 2 syntax error or bad usage.
``hot test [-k PATTERN] [PATH...]``
    Loads every ``.hot`` file under the PATHs (default: the current folder),
    runs the functions tagged ``meta ["test"]`` / ``{test: true}`` and ends with
    ``N passed, M failed``. Exit 0 all passed, 1 a test failed or loading
    failed, 3 no tests found.
``hot check [PATH...]``
    Parses and resolves names without running anything; prints every error
    with its position. Exit 0 clean, 1 errors found.
``hot repl``
    Reads expressions and bindings line by line and prints each value.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hotlang.errors import HotError, HotRuntimeError, HotSyntaxError
from hotlang.program import Program, load_program
from hotlang.runtime.display import display
from hotlang.runtime.limits import Limits
from hotlang.runtime.values import FunctionValue
from hotlang.tools.checker import check_sources
from hotlang.tools.testing import discover, report, run_test

USAGE = """usage:
  hot run FILE [ARGS...]
  hot test [-k PATTERN] [--timeout SECONDS] [PATH...]
  hot check [PATH...]
  hot repl"""


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
            if isinstance(candidate, FunctionValue):
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


def _defines(program: Program, namespace: str, name: str) -> bool:
    try:
        program.lookup(f"{namespace}/{name}")
    except HotRuntimeError:
        return False
    return True


def hot_files(paths: list[str]) -> dict[str, str] | str:
    """Path → source of every ``.hot`` file under ``paths`` (sorted), or an error message."""
    sources: dict[str, str] = {}
    for raw in paths or ["."]:
        root = Path(raw)
        if root.is_dir():
            files = sorted(p for p in root.rglob("*.hot") if not any(part.startswith(".") for part in p.parts[1:]))
        elif root.is_file():
            files = [root]
        else:
            return f"hot: no such file or folder: {raw}"
        for file in files:
            try:
                sources[str(file)] = file.read_text(encoding="utf-8")
            except OSError as error:
                return f"hot: cannot read {file}: {error.strerror}"
    return sources


def test_command(argv: list[str]) -> int:
    """``hot test``: see the module docstring."""
    pattern: str | None = None
    timeout: float | None = 60.0
    paths: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "-k" and index + 1 < len(argv):
            pattern, index = argv[index + 1], index + 2
        elif arg == "--timeout" and index + 1 < len(argv):
            timeout, index = float(argv[index + 1]), index + 2
        else:
            paths.append(arg)
            index += 1
    sources = hot_files(paths)
    if isinstance(sources, str):
        print(sources, file=sys.stderr)
        return 1
    try:
        program = load_program(sources)
    except HotSyntaxError as error:
        print(error.format(), file=sys.stderr)
        return 1
    except HotRuntimeError as error:
        print(f"loading failed: {error.format()}", file=sys.stderr)
        return 1
    tests = discover(program, pattern)
    if not tests:
        print("no tests found", file=sys.stderr)
        print("0 passed, 0 failed")
        return 3
    limits = Limits(max_seconds=timeout)
    outcomes = [run_test(program, info, limits=limits) for info in tests]
    print(report(outcomes))
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def check_command(argv: list[str]) -> int:
    """``hot check``: see the module docstring."""
    sources = hot_files(argv)
    if isinstance(sources, str):
        print(sources, file=sys.stderr)
        return 1
    errors = check_sources(sources)
    for error in errors:
        print(error.format(), file=sys.stderr)
    files = len(sources)
    if errors:
        print(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {files} file{'s' if files != 1 else ''}")
        return 1
    print(f"{files} file{'s' if files != 1 else ''} checked, no errors")
    return 0


def repl() -> int:
    """``hot repl``: each line is loaded into one growing ``::repl`` namespace; its value is printed."""
    program = Program()
    count = 0
    print("Hot repl — enter expressions or bindings; Ctrl-D to leave.")
    while True:
        try:
            line = input("hot> ")
        except EOFError:
            print()
            return 0
        if not line.strip():
            continue
        count += 1
        name = f"<repl-{count}>"
        try:
            program.load({name: f"::repl ns\n{line}"})
        except HotSyntaxError as error:
            print(error.format())
            continue
        except HotRuntimeError as error:
            print(error.format())
            continue
        value = program.last_value(name)
        if value is not None or "(" in line:
            print(display(value))


def main(argv: list[str]) -> int:
    """Entry point: ``argv`` excludes the program name (``["run", "file.hot", ...]``)."""
    command = argv[0] if argv else ""
    if command == "run" and len(argv) >= 2:
        return run_file(argv[1], argv[2:])
    if command == "test":
        return test_command(argv[1:])
    if command == "check":
        return check_command(argv[1:])
    if command == "repl":
        return repl()
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
