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
``hot deps [list | show NAME | update] [--project DIR] [-p NAME]``
    Resolves the project's dependencies (``hot.hot``) and prints the tree (``list``, the
    default), one package's details (``show``), or checks that everything resolves
    (``update``: only local and bundled packages exist in this build, so nothing is fetched).
    Exit 0 resolved, 1 a resolution error (printed with its file and line), 2 bad usage.
``hot repl``
    Reads expressions and bindings line by line and prints each value.

Projects: when the file or folder given (or the current folder) is inside a project, i.e. a
folder at or above it holds a ``hot.hot``, ``run``, ``test`` and ``check`` load the project's
sources and every dependency's (:mod:`hotlang.tools.packages`) along with the given paths, so
namespaces resolve across packages. ``test`` then runs only the tests of the project's own
files, and with no PATH it loads the project's ``test.paths`` too. A dependency that cannot be
resolved is reported like a syntax error, at the file and line that declares it.
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
from hotlang.tools.packages import (
    PackageError,
    Project,
    describe_tree,
    find_project_root,
    resolve_project,
)
from hotlang.tools.testing import discover, report, run_test

USAGE = """usage:
  hot run FILE [ARGS...]
  hot test [-k PATTERN] [--timeout SECONDS] [PATH...]
  hot check [PATH...]
  hot deps [list | show NAME | update] [--project DIR] [-p NAME]
  hot repl"""


def run_file(path: str, args: list[str]) -> int:
    """Load ``path`` alone, run it, print the result; return the exit code."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        print(f"hot: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        build = project_build([path], tests=False)
        if isinstance(build, str):  # pragma: no cover - the file was just read
            print(build, file=sys.stderr)
            return 2
        sources, _ = build
        path = _key(Path(path), find_project_root(Path(path)))
        sources[path] = source
        program = load_program(sources)
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


def _key(path: Path, root: Path | None) -> str:
    """A file's key in a build: relative to the project root when inside it, else as given."""
    if root is not None:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def project_build(paths: list[str], *, tests: bool) -> tuple[dict[str, str], frozenset[str]] | str:
    """The sources to load for ``paths`` and the keys of the dependency files among them.

    Outside a project: the ``.hot`` files under ``paths`` (as before packages). Inside one: the
    dependencies' sources, the project's own (with its test paths when ``tests`` and no PATH
    was given), and the files under ``paths``. Raises :class:`PackageError`.
    """
    start = Path(paths[0]) if paths else Path(".")
    root = find_project_root(start) if start.exists() else None
    if root is None:
        found = hot_files(paths)
        return found if isinstance(found, str) else (found, frozenset())
    project: Project = resolve_project(root)
    deps = project.dependency_files()
    files = {**deps, **project.files(tests=tests and not paths)}
    given = hot_files(paths) if paths else {}
    if isinstance(given, str):
        return given
    sources = {key: file.read_text(encoding="utf-8") for key, file in files.items()}
    for raw, text in given.items():
        if Path(raw).resolve() != root / "hot.hot":
            sources.setdefault(_key(Path(raw), root), text)
    return sources, frozenset(deps)


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
    try:
        build = project_build(paths, tests=True)
    except PackageError as error:
        print(error.format(), file=sys.stderr)
        return 1
    if isinstance(build, str):
        print(build, file=sys.stderr)
        return 1
    sources, dependency_files = build
    try:
        program = load_program(sources)
    except HotSyntaxError as error:
        print(error.format(), file=sys.stderr)
        return 1
    except HotRuntimeError as error:
        print(f"loading failed: {error.format()}", file=sys.stderr)
        return 1
    tests = [info for info in discover(program, pattern) if info.file not in dependency_files]
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
    try:
        build = project_build(argv, tests=True)
    except PackageError as failure:
        print(failure.format(), file=sys.stderr)
        return 1
    if isinstance(build, str):
        print(build, file=sys.stderr)
        return 1
    sources, _ = build
    errors = check_sources(sources)
    for error in errors:
        print(error.format(), file=sys.stderr)
    files = len(sources)
    if errors:
        print(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {files} file{'s' if files != 1 else ''}")
        return 1
    print(f"{files} file{'s' if files != 1 else ''} checked, no errors")
    return 0


def deps_command(argv: list[str]) -> int:
    """``hot deps``: see the module docstring."""
    folder, name, words = Path("."), None, []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--project" and index + 1 < len(argv):
            folder, index = Path(argv[index + 1]), index + 2
        elif arg == "-p" and index + 1 < len(argv):
            name, index = argv[index + 1], index + 2
        else:
            words.append(arg)
            index += 1
    action = words[0] if words else "list"
    if action in ("add", "remove"):
        print(f"hot deps {action}: not supported yet; edit the `deps` map of hot.hot", file=sys.stderr)
        return 2
    if action not in ("list", "show", "update") or (action == "show") != (len(words) == 2) or len(words) > 2:
        print(USAGE, file=sys.stderr)
        return 2
    root = find_project_root(folder) if folder.exists() else None
    if root is None:
        print(f"hot deps: no hot.hot at or above {folder.resolve()}", file=sys.stderr)
        return 1
    try:
        project = resolve_project(root, project=name)
    except PackageError as error:
        print(error.format(), file=sys.stderr)
        return 1
    if action == "list":
        print(describe_tree(project))
    elif action == "update":
        count = len(project.packages)
        print(f"{count} package{'s' if count != 1 else ''} resolved; nothing to fetch "
              "(this build has local and bundled packages only)")
    else:
        try:
            package = project.package(words[1].rpartition("/")[2])
        except KeyError:
            print(f"hot deps: '{words[1]}' is not a dependency of {project.name}", file=sys.stderr)
            return 1
        print(f"{package.coordinate}\n  name         {package.name}\n  version      {package.version or '-'}\n"
              f"  description  {package.description or '-'}\n  origin       {package.origin}\n"
              f"  folder       {package.root}\n  src-paths    {', '.join(package.src_paths)}\n"
              f"  deps         {', '.join(package.deps) or '-'}\n"
              f"  declared at  {package.declared_at.file}:{package.declared_at.line}")
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
    if command == "deps":
        return deps_command(argv[1:])
    if command == "repl":
        return repl()
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
