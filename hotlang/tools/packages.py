"""Projects and packages (integrations-spec §5): ``hot.hot``, ``pkg.hot`` and dependency resolution.

A project folder with a ``hot.hot`` at its root declares its name, its source folders and its
dependencies::

    hot.project.chat.src.paths ["src/"]
    hot.project.chat.deps {"hot.dev/anthropic": {}, "acme/util": {local: "../util"}}

:func:`resolve_project` reads it (as Hot, evaluated under :class:`~hotlang.runtime.limits.Limits`
with a short time budget and no host: it is configuration data), resolves the dependencies
breadth-first and transitively through each package's ``pkg.hot`` manifest, orders them
dependencies first, and returns a :class:`Project` whose :meth:`Project.sources` is the full set
of files a build is made of: the project's own files under their path relative to the project
root, and each dependency's files under ``deps/<name>/<path in the package>``.

A missing package, an unsupported or invalid dependency spec, or a cycle is a
:class:`PackageError` naming the file and line of the declaration at fault.

A folder without ``hot.hot`` is a project of every ``.hot`` file under it (hidden folders
skipped), with no dependencies, as before packages existed.

Where a default dependency (``{}``) is looked for, by package name (the last segment of the
coordinate), in order: ``$HOT_HOME/pkg/<name>``, ``./hot/pkg/<name>`` (from the working
directory, then from the project root), the packages bundled with the platform (the
repository's ``packages/`` folder, installed as ``hotlang/pkg/``), ``/usr/local/share/hot/pkg``
and ``/usr/share/hot/pkg``.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from hotlang.errors import HotError, HotSyntaxError
from hotlang.program import load_program
from hotlang.runtime.limits import Limits
from hotlang.syntax import nodes
from hotlang.syntax.parser import parse_module

CONFIG_FILE = "hot.hot"
MANIFEST_FILE = "pkg.hot"
DEPS_PREFIX = "deps"
DEFAULT_SRC_PATHS = ("src/",)
CONFIG_MAX_SECONDS = 2.0
"""Default time budget for evaluating one ``hot.hot`` or ``pkg.hot`` (``HOT_CONFIG_MAX_SECONDS``)."""

BUNDLED = Path(__file__).resolve().parent.parent / "pkg"
"""The first-party packages shipped with the platform (``hotlang/pkg`` links to the repository's ``packages/``)."""

_PROJECT_NAME = re.compile(r"^[A-Za-z-][A-Za-z0-9-]*$")
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_IGNORED = frozenset({"hot-std"})
"""Our standard library is native: a listed ``hot-std`` is ignored (spec §5.3)."""


class PackageError(HotSyntaxError):
    """A project or package declaration that cannot be resolved, reported at its file and line."""


@dataclass(frozen=True)
class Location:
    """Where something was declared (1-based line and column)."""

    file: Path
    line: int = 1
    column: int = 1

    def error(self, message: str) -> PackageError:
        try:
            source_line = self.file.read_text(encoding="utf-8").splitlines()[self.line - 1]
        except (OSError, IndexError, UnicodeDecodeError):
            source_line = ""
        return PackageError(message, file=str(self.file), line=self.line, column=self.column, source_line=source_line)


@dataclass(frozen=True)
class Package:
    """One resolved dependency."""

    name: str
    """Normalised name: the last segment of the coordinate (``hot.dev/anthropic`` → ``anthropic``)."""
    coordinate: str
    root: Path
    origin: str
    """``local`` (a ``{local: path}`` spec) or ``default`` (found in the default locations)."""
    declared_at: Location
    version: str | None = None
    description: str | None = None
    src_paths: tuple[str, ...] = DEFAULT_SRC_PATHS
    deps: tuple[str, ...] = ()
    """Normalised names of its own dependencies."""


@dataclass(frozen=True)
class Project:
    """A project folder and everything its build is made of."""

    root: Path
    name: str
    config: Path | None
    src_paths: tuple[str, ...]
    test_paths: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    """Normalised names of the direct dependencies, in declaration order."""
    packages: tuple[Package, ...] = ()
    """Every dependency, transitively, dependencies before their dependents."""
    _package_files: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def package(self, name: str) -> Package:
        for package in self.packages:
            if package.name == name:
                return package
        raise KeyError(name)

    def project_files(self, *, tests: bool = False) -> dict[str, Path]:
        """Key → file of the project's own sources (and its test paths when ``tests``)."""
        paths = self.src_paths + (self.test_paths if tests else ())
        skip = {self.config.resolve()} if self.config is not None else set()
        return _hot_files(self.root, paths, skip)

    def dependency_files(self) -> dict[str, Path]:
        """Key (``deps/<name>/…``) → file of every dependency's sources, in dependency order."""
        files: dict[str, Path] = {}
        for package in self.packages:
            skip = {(package.root / MANIFEST_FILE).resolve()}
            for rel, path in _hot_files(package.root, package.src_paths, skip).items():
                files[f"{DEPS_PREFIX}/{package.name}/{rel}"] = path
        return files

    def files(self, *, tests: bool = False) -> dict[str, Path]:
        """Key → file of the whole build: dependencies first, then the project's files."""
        deps = self.dependency_files()
        own = self.project_files(tests=tests)
        clash = sorted(set(deps) & set(own))
        if clash:
            raise Location(self.config or self.root).error(
                f"project file {clash[0]} has the path a dependency file gets; rename the project's `deps/` folder")
        return {**deps, **own}

    def sources(self, *, tests: bool = False) -> dict[str, str]:
        """Key → text of the whole build (see :meth:`files`)."""
        return {key: path.read_text(encoding="utf-8") for key, path in self.files(tests=tests).items()}

    def watch_paths(self) -> list[Path]:
        """Folders whose changes call for a rebuild: the project and every local dependency."""
        paths = [self.root]
        for package in self.packages:
            if package.origin == "local" and not _is_within(package.root, self.root):
                paths.append(package.root)
        return paths


# -- discovery ------------------------------------------------------------------------------------


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` (a file or folder) holding a ``hot.hot``."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def default_search_roots(project_root: Path, *, cwd: Path | None = None,
                         env: Mapping[str, str] | None = None) -> list[Path]:
    """Where default dependencies are looked for, in order (see the module docstring)."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    roots: list[Path] = []
    if env.get("HOT_HOME"):
        roots.append(Path(env["HOT_HOME"]) / "pkg")
    roots += [cwd / "hot" / "pkg", project_root / "hot" / "pkg", BUNDLED,
              Path("/usr/local/share/hot/pkg"), Path("/usr/share/hot/pkg")]
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def config_max_seconds(env: Mapping[str, str] | None = None) -> float:
    """``HOT_CONFIG_MAX_SECONDS`` (default :data:`CONFIG_MAX_SECONDS`): budget to evaluate one config file."""
    raw = (os.environ if env is None else env).get("HOT_CONFIG_MAX_SECONDS", "").strip()
    if not raw:
        return CONFIG_MAX_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable HOT_CONFIG_MAX_SECONDS must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"environment variable HOT_CONFIG_MAX_SECONDS must be above 0, got {raw!r}")
    return value


# -- resolution -----------------------------------------------------------------------------------


def resolve_project(root: Path, *, project: str | None = None, cwd: Path | None = None,
                    search: Sequence[Path] | None = None, max_seconds: float | None = None) -> Project:
    """Read ``root/hot.hot`` (if any) and resolve its dependencies; raise :class:`PackageError`."""
    root = root.resolve()
    config = root / CONFIG_FILE
    if not config.is_file():
        return Project(root=root, name=root.name or "app", config=None, src_paths=(".",))
    try:
        seconds = config_max_seconds() if max_seconds is None else max_seconds
    except ValueError as error:
        raise Location(config).error(str(error)) from None
    cwd = (Path.cwd() if cwd is None else cwd).resolve()
    roots = list(search) if search is not None else default_search_roots(root, cwd=cwd)
    data, places = _read_config(config, seconds)
    top = data.get("hot") if isinstance(data, dict) else None
    top = top if isinstance(top, dict) else {}
    projects = top.get("project")
    here = Location(config)
    if not isinstance(projects, dict) or not projects:
        raise here.error("hot.hot declares no project: write `hot.project.<name>.src.paths [\"src/\"]`")
    chosen = project
    if chosen is None:
        selected = top.get("set", {}).get("project") if isinstance(top.get("set"), dict) else None
        if isinstance(selected, str):
            chosen = selected
        elif len(projects) == 1:
            chosen = next(iter(projects))
        else:
            raise here.error(f"hot.hot declares several projects ({', '.join(sorted(projects))}); "
                             "choose one with `hot.set.project \"<name>\"`")
    if chosen not in projects:
        where = places.find(("hot", "set", "project")) or here
        raise where.error(f"project '{chosen}' is not declared in hot.hot "
                          f"(declared: {', '.join(sorted(map(str, projects)))})")
    if not _PROJECT_NAME.match(chosen):
        raise (places.find(("hot", "project", chosen)) or here).error(
            f"project name '{chosen}' is not an identifier (letters, digits and `-`, not starting with a digit)")
    body = projects[chosen]
    if not isinstance(body, dict):
        raise (places.find(("hot", "project", chosen)) or here).error(f"hot.project.{chosen} must be a Map")
    prefix = ("hot", "project", chosen)
    src_paths = _paths(body.get("src", {}).get("paths") if isinstance(body.get("src"), dict) else None,
                       DEFAULT_SRC_PATHS, places.find((*prefix, "src", "paths")) or here, "src.paths")
    test_paths = _paths(body.get("test", {}).get("paths") if isinstance(body.get("test"), dict) else None,
                        (), places.find((*prefix, "test", "paths")) or here, "test.paths")
    deps = body.get("deps")
    deps_at = places.find((*prefix, "deps")) or here
    if deps is None:
        deps = {}
    if not isinstance(deps, dict):
        raise deps_at.error(f"hot.project.{chosen}.deps must be a Map of coordinate to spec")
    direct = [_Request(str(coord), spec, places.find((*prefix, "deps", str(coord))) or deps_at, root, None)
              for coord, spec in deps.items()]
    packages = _Resolver(direct, roots, cwd, seconds).run()
    names = tuple(dict.fromkeys(normalise(r.coordinate) for r in direct if normalise(r.coordinate) not in _IGNORED))
    return Project(root=root, name=chosen, config=config, src_paths=src_paths, test_paths=test_paths,
                   deps=names, packages=tuple(packages))


def normalise(coordinate: str) -> str:
    """``hot.dev/aws-core`` and ``aws-core`` are the same package (spec §5.4)."""
    return coordinate.rstrip("/").rpartition("/")[2]


@dataclass(frozen=True)
class _Request:
    coordinate: str
    spec: Any
    at: Location
    base: Path
    """Folder a relative ``local`` path is resolved against first (the declaring file's)."""
    parent: str | None
    """The package that asked for it, None for the project."""


class _Resolver:
    def __init__(self, direct: list[_Request], roots: list[Path], cwd: Path, seconds: float) -> None:
        self.direct = direct
        self.roots = roots
        self.cwd = cwd
        self.seconds = seconds
        self.overrides = {normalise(r.coordinate): r for r in direct}
        self.resolved: dict[str, Package] = {}
        self.edges: dict[str, list[tuple[str, Location]]] = {}

    def run(self) -> list[Package]:
        queue: deque[_Request] = deque(self.direct)
        while queue:
            request = queue.popleft()
            name = normalise(request.coordinate)
            if name in _IGNORED:
                continue
            if not _PACKAGE_NAME.match(name) or name in (".", ".."):
                raise request.at.error(f"dependency '{request.coordinate}' is not a coordinate `org/name` "
                                       "(name: letters, digits, `.`, `_` and `-`)")
            if request.parent is not None:
                self.edges.setdefault(request.parent, []).append((name, request.at))
                request = self.overrides.get(name, request)  # project-level specs win (spec §5.4)
            if name in self.resolved:
                continue
            package, manifest = self.locate(name, request)
            self.resolved[name] = package
            self.edges.setdefault(name, [])
            queue.extend(manifest)
        return self.ordered()

    def locate(self, name: str, request: _Request) -> tuple[Package, list[_Request]]:
        spec = request.spec
        if spec is None or spec == {}:
            for root in self.roots:
                candidate = root / name
                if candidate.is_dir():
                    return self.load(name, request, candidate.resolve(), "default")
            looked = ", ".join(str(root) for root in self.roots)
            raise request.at.error(f"package '{name}' ({request.coordinate}) not found; looked in: {looked}")
        if isinstance(spec, str):
            raise request.at.error(f"registry dependency '{request.coordinate}' \"{spec}\" is not supported in this "
                                   "build: use {local: path} or a package bundled with the platform ({})")
        if not isinstance(spec, dict):
            raise request.at.error(f"Invalid dependency specification for '{request.coordinate}'")
        if "local" in spec:
            local = spec["local"]
            if not isinstance(local, str) or not local:
                raise request.at.error(f"`local` of '{request.coordinate}' must be a path (Str)")
            found = self.local_path(local, request.base)
            if found is not None:
                return self.load(name, request, found, "local")
            if "git" not in spec:
                looked = " and ".join(dict.fromkeys(str(p) for p in (request.base, self.cwd)))
                raise request.at.error(f"Local dependency path does not exist: {local} (looked in {looked})")
        if "pkg" in spec or "version" in spec:
            raise request.at.error(f"Registry dependencies not yet supported ('{request.coordinate}'): "
                                   "use {local: path} or a package bundled with the platform ({})")
        if "git" in spec:
            raise request.at.error(f"git dependencies are not supported in this build ('{request.coordinate}'): "
                                   "clone it and use {local: path}")
        raise request.at.error(f"Invalid dependency specification for '{request.coordinate}'")

    def local_path(self, local: str, base: Path) -> Path | None:
        path = Path(local).expanduser()
        for candidate in ([path] if path.is_absolute() else [base / path, self.cwd / path]):
            if candidate.is_dir():
                return candidate.resolve()
        return None

    def load(self, name: str, request: _Request, root: Path, origin: str) -> tuple[Package, list[_Request]]:
        manifest = root / MANIFEST_FILE
        here = Location(manifest)
        meta: dict[str, Any] = {}
        places = _Places()
        key_path: tuple[str, ...] = ()
        if manifest.is_file():
            data, places = _read_config(manifest, self.seconds)
            found_meta, key_path = _manifest_map(data)
            if found_meta is None:
                raise here.error("pkg.hot holds no package map: write `hot.pkg.<name> {name: …, version: …}`")
            meta = found_meta
        src_paths = _paths(meta.get("src-paths", meta.get("src_paths")), DEFAULT_SRC_PATHS,
                           places.find((*key_path, "src-paths")) or here, "src-paths")
        if not any((root / path).exists() for path in src_paths):
            raise request.at.error(f"package '{name}' at {root} has no source folder "
                                   f"{', '.join(src_paths)} (set `src-paths` in its pkg.hot)")
        deps = meta.get("deps") or {}
        deps_at = places.find((*key_path, "deps")) or here
        if not isinstance(deps, dict):
            raise deps_at.error(f"`deps` of package '{name}' must be a Map of coordinate to spec")
        requests = [_Request(str(coord), spec, places.find((*key_path, "deps", str(coord))) or deps_at, root, name)
                    for coord, spec in deps.items()]
        version, description = meta.get("version"), meta.get("description")
        package = Package(
            name=name, coordinate=request.coordinate, root=root, origin=origin, declared_at=request.at,
            version=version if isinstance(version, str) else None,
            description=description if isinstance(description, str) else None,
            src_paths=src_paths,
            deps=tuple(dict.fromkeys(n for n in (normalise(r.coordinate) for r in requests) if n not in _IGNORED)))
        return package, requests

    def ordered(self) -> list[Package]:
        """Dependencies before dependents; a cycle is an error at the declaration that closes it."""
        done: set[str] = set()
        order: list[Package] = []
        path: list[str] = []

        def visit(name: str) -> None:
            path.append(name)
            for dep, at in self.edges.get(name, []):
                if dep in done or dep not in self.resolved:
                    continue
                if dep in path:
                    cycle = [*path[path.index(dep):], dep]
                    raise at.error(f"Circular dependency detected involving: [{', '.join(cycle)}]")
                visit(dep)
            path.pop()
            done.add(name)
            order.append(self.resolved[name])

        for request in self.direct:
            name = normalise(request.coordinate)
            if name in self.resolved and name not in done:
                visit(name)
        return order


# -- reading config files -------------------------------------------------------------------------


class _Places:
    """Where each key path of a config file's literal maps was written."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, ...], Location] = {}

    def find(self, path: tuple[str, ...]) -> Location | None:
        return self.at.get(path)

    def record_value(self, file: Path, path: tuple[str, ...], node: nodes.Node) -> None:
        if isinstance(node, nodes.MapLit):
            for entry in node.entries:
                if not isinstance(entry, nodes.MapEntry):
                    continue
                self.at.setdefault((*path, entry.key), Location(file, entry.line, entry.column))
                self.record_value(file, (*path, entry.key), entry.value)


def _read_config(file: Path, seconds: float) -> tuple[Any, _Places]:
    """Evaluate a ``hot.hot``/``pkg.hot``: the value of its top-level ``hot`` and where keys were written."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Location(file).error(f"cannot read {file.name}: {error}") from None
    module = parse_module(text, str(file))  # a HotSyntaxError already names the file and line
    places = _Places()
    for statement in module.statements:
        if isinstance(statement, nodes.Binding) and statement.target.name == "hot":
            keys = [str(step.key) for step in statement.target.path if step.kind == "key"]
            if len(keys) != len(statement.target.path):
                continue
            path = ("hot", *keys)
            places.at.setdefault(path, Location(file, statement.line, statement.column))
            places.record_value(file, path, statement.value)
    try:
        program = load_program({str(file): text}, limits=Limits(max_seconds=seconds))
    except HotSyntaxError:
        raise
    except HotError as error:
        raise Location(file).error(f"{file.name} could not be evaluated: {error}") from None
    for namespace in program.namespaces_of(str(file)):
        try:
            return {"hot": program.lookup(f"{namespace}/hot")}, places
        except HotError:
            continue
    return {}, places


def _manifest_map(data: Any) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """The package map of a manifest, found by descending through single-key wrapper maps (spec §5.5)."""
    value, path = data, cast(tuple[str, ...], ())
    known = {"name", "version", "description", "deps", "src-paths", "src_paths"}
    while isinstance(value, dict) and len(value) == 1 and not (known & set(value)):
        key = next(iter(value))
        if not isinstance(value[key], dict):
            break
        value, path = value[key], (*path, str(key))
    return (value, path) if isinstance(value, dict) and value else (None, ())


def _paths(value: Any, default: tuple[str, ...], at: Location, what: str) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise at.error(f"{what} must be a Vec of paths (Str)")
    return tuple(value)


def _hot_files(root: Path, paths: Iterable[str], skip: set[Path]) -> dict[str, Path]:
    """Key (path relative to ``root``, POSIX) → file, for every ``.hot`` file under ``paths``."""
    files: dict[str, Path] = {}
    for raw in paths:
        base = root / raw
        if base.is_file():
            found = [base]
        elif base.is_dir():
            found = sorted(p for p in base.rglob("*.hot")
                           if not any(part.startswith(".") for part in p.relative_to(base).parts))
        else:
            continue
        for path in found:
            if path.resolve() in skip:
                continue
            files.setdefault(os.path.relpath(path, root).replace(os.sep, "/"), path)
    return files


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


# -- `hot deps` -----------------------------------------------------------------------------------


def describe_tree(project: Project) -> str:
    """The resolved dependency tree, one package per line, indented under its dependents."""
    lines = [f"{project.name} ({project.config or project.root})"]
    if not project.packages:
        lines.append("  (no dependencies)")
        return "\n".join(lines)
    by_name = {package.name: package for package in project.packages}

    def walk(name: str, depth: int, seen: tuple[str, ...]) -> None:
        package = by_name[name]
        version = f" {package.version}" if package.version else ""
        lines.append(f"{'  ' * depth}{package.coordinate}{version}  [{package.origin}] {package.root}")
        for dep in package.deps:
            if dep in by_name and dep not in seen:
                walk(dep, depth + 1, (*seen, dep))

    for name in project.deps:
        if name in by_name:
            walk(name, 1, (name,))
    return "\n".join(lines)
