"""Projects and packages (integrations-spec §5): `hot.hot`, `pkg.hot`, resolution, and the CLI using it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hotlang import load_program
from hotlang.library import core_library
from hotlang.runtime.display import display
from hotlang.tools.checker import check_sources
from hotlang.tools.cli import main
from hotlang.tools.packages import BUNDLED, PackageError, describe_tree, resolve_project

REPO = Path(__file__).resolve().parents[3]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


CHAIN = {
    "app/hot.hot": 'hot.project.chat.src.paths ["src/"]\n'
                   'hot.project.chat.deps {\n  "acme/util": {local: "../util"}\n}\n',
    "app/src/main.hot": '::chat::main ns\nmain fn () { ::util::text/shout("hi") }\n',
    "util/pkg.hot": '::hot::pkg ns\n\nhot.pkg.util {\n  name: "util",\n  version: "1.2.0",\n'
                    '  deps: {"acme/core": {local: "../core"}}\n}\n',
    "util/src/util/text.hot": '::util::text ns\nshout fn (s) { ::core::bang/it(uppercase(s)) }\n',
    "core/pkg.hot": 'hot.pkg.core {name: "core", version: "0.1.0"}\n',
    "core/src/bang.hot": '::core::bang ns\nit fn (s) { concat(s, "!") }\n',
}


@pytest.fixture(autouse=True)
def no_hot_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOT_HOME", raising=False)


def test_a_local_dependency_and_its_own_dependency_resolve_dependencies_first(tmp_path: Path) -> None:
    write(tmp_path, CHAIN)
    project = resolve_project(tmp_path / "app", cwd=tmp_path / "app")
    assert project.name == "chat" and project.deps == ("util",)
    assert [p.name for p in project.packages] == ["core", "util"]  # dependencies before dependents
    util = project.package("util")
    assert (util.version, util.origin, util.root, util.deps) == ("1.2.0", "local", (tmp_path / "util").resolve(),
                                                                  ("core",))
    assert util.declared_at.line == 3
    assert list(project.sources()) == ["deps/core/src/bang.hot", "deps/util/src/util/text.hot", "src/main.hot"]
    program = load_program(project.sources())
    assert program.call("::chat::main/main", []) == "HI!"


def test_the_build_is_the_src_paths_only(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN, "app/scratch/ignored.hot": "::x ns\n", "app/src/.hidden/h.hot": "::h ns\n"})
    project = resolve_project(tmp_path / "app", cwd=tmp_path)
    assert "scratch/ignored.hot" not in project.sources() and "hot.hot" not in project.sources()
    assert not any(".hidden" in key for key in project.sources())


def test_a_folder_without_hot_hot_is_every_hot_file_and_no_dependency(tmp_path: Path) -> None:
    write(tmp_path, {"a.hot": "::a ns\n", "sub/b.hot": "::b ns\n"})
    project = resolve_project(tmp_path)
    assert project.config is None and project.packages == ()
    assert sorted(project.sources()) == ["a.hot", "sub/b.hot"]


def test_default_resolution_finds_the_bundled_anthropic_package(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.chat.deps {"hot.dev/anthropic": {}}\n', "src/a.hot": "::a ns\n"})
    project = resolve_project(tmp_path, cwd=tmp_path)
    (anthropic,) = project.packages
    assert anthropic.origin == "default" and anthropic.root == (REPO / "packages" / "anthropic").resolve()
    assert BUNDLED.resolve() == (REPO / "packages").resolve()  # the installed data folder is the repo's packages/
    assert "deps/anthropic/src/anthropic/messages.hot" in project.sources()
    assert "hot.dev/anthropic 0.1.0  [default]" in describe_tree(project)


def test_hot_home_comes_first_in_the_default_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"home/pkg/anthropic/src/mine.hot": "::mine ns\n",
                     "app/hot.hot": 'hot.project.p.deps {"anthropic": {}}', "app/src/a.hot": "::a ns\n"})
    monkeypatch.setenv("HOT_HOME", str(tmp_path / "home"))
    project = resolve_project(tmp_path / "app", cwd=tmp_path / "app")
    assert project.package("anthropic").root == (tmp_path / "home" / "pkg" / "anthropic").resolve()


def test_a_missing_local_dependency_names_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN, "app/hot.hot": CHAIN["app/hot.hot"].replace("../util", "../nowhere")})
    with pytest.raises(PackageError) as caught:
        resolve_project(tmp_path / "app", cwd=tmp_path / "app")
    error = caught.value
    assert (Path(error.file), error.line) == (tmp_path / "app" / "hot.hot", 3)
    assert "Local dependency path does not exist: ../nowhere" in error.message
    assert '"acme/util": {local: "../nowhere"}' in error.format()


def test_a_missing_default_package_names_the_file_line_and_where_it_looked(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.p.src.paths ["src/"]\nhot.project.p.deps {"hot.dev/no-such-pkg": {}}\n'})
    with pytest.raises(PackageError) as caught:
        resolve_project(tmp_path, cwd=tmp_path)
    assert caught.value.line == 2 and caught.value.file == str(tmp_path / "hot.hot")
    assert "package 'no-such-pkg' (hot.dev/no-such-pkg) not found; looked in:" in caught.value.message
    assert str(BUNDLED) in caught.value.message


def test_a_missing_transitive_dependency_is_reported_in_the_manifest_that_declares_it(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN, "util/pkg.hot": CHAIN["util/pkg.hot"].replace("../core", "../gone")})
    with pytest.raises(PackageError) as caught:
        resolve_project(tmp_path / "app", cwd=tmp_path / "app")
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "util" / "pkg.hot"), 6)


def test_a_cycle_names_its_packages_and_the_declaration_closing_it(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN, "core/pkg.hot": 'hot.pkg.core {\n  name: "core",\n'
                                              '  deps: {"acme/util": {local: "../util"}}\n}\n'})
    with pytest.raises(PackageError) as caught:
        resolve_project(tmp_path / "app", cwd=tmp_path / "app")
    assert caught.value.message == "Circular dependency detected involving: [util, core, util]"
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "core" / "pkg.hot"), 3)


def test_a_package_depending_on_itself_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN, "core/pkg.hot": 'hot.pkg.core {name: "core", deps: {"core": {local: "."}}}\n'})
    with pytest.raises(PackageError, match=r"Circular dependency detected involving: \[core, core\]"):
        resolve_project(tmp_path / "app", cwd=tmp_path / "app")


def test_a_project_level_spec_overrides_a_transitive_one(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN,
                     "app/hot.hot": 'hot.project.chat.deps {\n  "acme/util": {local: "../util"},\n'
                                    '  "core": {local: "../core2"}\n}\n',
                     "core2/src/bang.hot": '::core::bang ns\nit fn (s) { concat(s, "?") }\n'})
    project = resolve_project(tmp_path / "app", cwd=tmp_path / "app")
    assert project.package("core").root == (tmp_path / "core2").resolve()
    assert load_program(project.sources()).call("::chat::main/main", []) == "HI?"


@pytest.mark.parametrize(("spec", "message"), [
    ('"1.0.0"', "registry dependency 'acme/x' \"1.0.0\" is not supported"),
    ('{pkg: "acme/x/1.0.0"}', "Registry dependencies not yet supported"),
    ('{version: "1"}', "Registry dependencies not yet supported"),
    ('{git: "https://example.invalid/x.git"}', "git dependencies are not supported"),
    ("{colour: 1}", "Invalid dependency specification for 'acme/x'"),
    ("12", "Invalid dependency specification for 'acme/x'"),
])
def test_unsupported_and_invalid_specs_are_clear_errors_at_their_line(tmp_path: Path, spec: str, message: str) -> None:
    write(tmp_path, {"hot.hot": f'hot.project.p.deps {{\n  "acme/x": {spec}\n}}\n'})
    with pytest.raises(PackageError) as caught:
        resolve_project(tmp_path, cwd=tmp_path)
    assert message in caught.value.message and caught.value.line == 2


@pytest.mark.parametrize("coordinate", ["", "acme/..", "acme/a b"])
def test_a_coordinate_that_is_not_a_package_name_is_an_error(tmp_path: Path, coordinate: str) -> None:
    write(tmp_path, {"hot.hot": f'hot.project.p.deps {{\n  "{coordinate}": {{}}\n}}\n'})
    with pytest.raises(PackageError, match="is not a coordinate") as caught:
        resolve_project(tmp_path, cwd=tmp_path)
    assert caught.value.line == 2


def test_hot_std_is_ignored_because_the_standard_library_is_built_in(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.p.deps {"hot.dev/hot-std": {}}\n'})
    assert resolve_project(tmp_path, cwd=tmp_path).packages == ()


def test_project_selection(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.a.src.paths ["a/"]\nhot.project.b.src.paths ["b/"]\n'})
    with pytest.raises(PackageError, match="several projects"):
        resolve_project(tmp_path)
    assert resolve_project(tmp_path, project="b").src_paths == ("b/",)
    write(tmp_path, {"hot.hot": 'hot.project.a.src.paths ["a/"]\nhot.project.b.src.paths ["b/"]\n'
                                'hot.set.project "a"\n'})
    assert resolve_project(tmp_path).name == "a"
    with pytest.raises(PackageError, match="project 'c' is not declared"):
        resolve_project(tmp_path, project="c")


def test_bad_config_values_are_errors_at_the_file(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.p.src.paths 3\n'})
    with pytest.raises(PackageError, match=r"src.paths must be a Vec of paths") as caught:
        resolve_project(tmp_path)
    assert caught.value.line == 1
    write(tmp_path, {"hot.hot": 'name "x"\n'})
    with pytest.raises(PackageError, match="declares no project"):
        resolve_project(tmp_path)


def test_a_syntax_error_in_hot_hot_is_reported_at_its_position(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.p.deps {"a": \n'})
    with pytest.raises(Exception) as caught:  # a HotSyntaxError (PackageError is one too)
        resolve_project(tmp_path)
    assert str(tmp_path / "hot.hot") in str(caught.value)


def test_computed_config_runs_under_a_time_limit(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": "spin fn (n) { spin(add(n, 1)) }\nhot.project.p.src.paths spin(0)\n"})
    started = time.monotonic()
    with pytest.raises(PackageError, match="could not be evaluated") as caught:
        resolve_project(tmp_path, max_seconds=0.3)
    assert time.monotonic() - started < 5
    assert "time" in caught.value.message.lower()


def test_computed_config_values_are_honoured(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'folder "lib/"\nhot.project.p.src.paths [folder]\n', "lib/x.hot": "::x ns\n"})
    assert list(resolve_project(tmp_path).sources()) == ["lib/x.hot"]


def test_a_package_without_its_source_folder_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"hot.hot": 'hot.project.p.deps {"u": {local: "u"}}\n', "u/pkg.hot": 'hot.pkg.u {name: "u"}\n'})
    with pytest.raises(PackageError, match=r"package 'u' at .* has no source folder src/"):
        resolve_project(tmp_path, cwd=tmp_path)


def test_local_dependencies_outside_the_project_are_watched(tmp_path: Path) -> None:
    write(tmp_path, {**CHAIN, "app/hot.hot": 'hot.project.chat.deps {"acme/util": {local: "../util"}, '
                                             '"hot.dev/anthropic": {}}\n'})
    project = resolve_project(tmp_path / "app", cwd=tmp_path)
    assert project.watch_paths() == [(tmp_path / "app").resolve(), (tmp_path / "core").resolve(),
                                     (tmp_path / "util").resolve()]  # bundled packages are not watched


# -- the CLI ----------------------------------------------------------------------------------------


def test_hot_run_resolves_namespaces_across_packages(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, CHAIN)
    monkeypatch.chdir(tmp_path / "app")
    assert main(["run", "src/main.hot"]) == 0
    assert capsys.readouterr().out.strip() == "HI!"
    monkeypatch.chdir(tmp_path)  # from elsewhere too: the project is found from the file
    assert main(["run", str(tmp_path / "app" / "src" / "main.hot")]) == 0
    assert capsys.readouterr().out.strip() == "HI!"


def test_hot_run_reports_a_broken_dependency_with_its_file_and_line(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {**CHAIN, "app/hot.hot": CHAIN["app/hot.hot"].replace("../util", "../nowhere")})
    assert main(["run", str(tmp_path / "app" / "src" / "main.hot")]) == 2
    assert f"{tmp_path / 'app' / 'hot.hot'}:3:3: error: Local dependency path does not exist" in capsys.readouterr().err


def test_hot_check_resolves_names_across_packages(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, CHAIN)
    monkeypatch.chdir(tmp_path / "app")
    assert main(["check"]) == 0
    assert capsys.readouterr().out.strip() == "3 files checked, no errors"
    write(tmp_path, {"app/src/main.hot": '::chat::main ns\nmain fn () { ::util::text/whisper("hi") }\n'})
    assert main(["check"]) == 1
    assert "`::util::text/whisper` is not defined" in capsys.readouterr().err
    # Without the dependency, the namespace itself is unknown.
    write(tmp_path, {"app/hot.hot": 'hot.project.chat.src.paths ["src/"]\n'})
    assert main(["check"]) == 1
    assert "namespace `::util::text` is not defined" in capsys.readouterr().err


def test_hot_test_runs_the_projects_tests_against_its_dependencies(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {**CHAIN,
                     "app/hot.hot": CHAIN["app/hot.hot"] + 'hot.project.chat.test.paths ["test/"]\n',
                     "app/test/main_test.hot": '::chat::main-test ns\n'
                                               'shouts meta ["test"] fn () { assert-eq("HI!", ::chat::main/main()) }\n',
                     # A dependency's own test is not the project's.
                     "core/src/own_test.hot": '::core::t ns\n'
                                              'fails meta ["test"] fn () { assert(false, "dep test") }\n'})
    monkeypatch.chdir(tmp_path / "app")
    assert main(["test"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1 passed, 0 failed"
    assert main(["test", "test/"]) == 0  # a path inside the project still sees src and deps
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_hot_deps_lists_shows_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, CHAIN)
    app = str(tmp_path / "app")
    assert main(["deps", "--project", app]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"chat ({tmp_path / 'app' / 'hot.hot'})"
    assert lines[1].startswith("  acme/util 1.2.0  [local] ") and lines[2].startswith("    acme/core 0.1.0  [local] ")
    assert main(["deps", "show", "acme/core", "--project", app]) == 0
    assert "version      0.1.0" in capsys.readouterr().out
    assert main(["deps", "update", "--project", app]) == 0
    assert "2 packages resolved" in capsys.readouterr().out
    assert main(["deps", "show", "nope", "--project", app]) == 1
    assert main(["deps", "--project", str(tmp_path)]) == 1
    assert "no hot.hot" in capsys.readouterr().err
    assert main(["deps", "frobnicate", "--project", app]) == 2


# -- the first-party packages -------------------------------------------------------------------------


def bundled_sources(name: str) -> dict[str, str]:
    root = REPO / "packages" / name
    return {f"deps/{name}/{p.relative_to(root).as_posix()}": p.read_text() for p in sorted(root.rglob("src/**/*.hot"))}


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_first_party_packages_have_a_manifest_a_readme_and_load(name: str, tmp_path: Path) -> None:
    root = REPO / "packages" / name
    assert (root / "README.md").read_text().startswith(f"# {name}")
    write(tmp_path, {"hot.hot": f'hot.project.p.deps {{"hot.dev/{name}": {{}}}}\n'})
    package = resolve_project(tmp_path, cwd=tmp_path).package(name)
    assert package.version == "0.1.0" and package.description
    load_program(bundled_sources(name))


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_first_party_packages_check_clean(name: str) -> None:
    """Until `::hot::http` is merged (the http part of issue 11) it is the only name `hot check` misses."""
    errors = check_sources(bundled_sources(name))
    if "::hot::http" in core_library()[0]:
        assert errors == []
    else:
        assert errors and all("namespace `::hot::http` is not defined" in error.message for error in errors)


ANTHROPIC_DRIVER = """::t ns
before [::anthropic::messages/base-url(), is-err(::anthropic::messages/headers()),
        err-message(::anthropic::messages/post({model: "m"}))]
::hot::ctx/set("anthropic.api.base-url", "http://127.0.0.1:9/root//")
::hot::ctx/set("anthropic.api.key", "sk-test")
[before, ::anthropic::messages/base-url(), ::anthropic::messages/headers(),
 ::anthropic::messages/delta-text({event: "content_block_delta", data: {delta: {text: "hé"}}}),
 ::anthropic::messages/delta-text({event: "ping", data: {}})]
"""


def test_anthropic_reads_its_key_and_base_url_from_the_context() -> None:
    program = load_program({**bundled_sources("anthropic"), "t.hot": ANTHROPIC_DRIVER})
    assert display(program.last_value("t.hot")) == (
        '[["https://api.anthropic.com", true, "anthropic.api.key is not set: store the API key as a context secret '
        'named anthropic.api.key"], "http://127.0.0.1:9/root", {x-api-key: "sk-test", anthropic-version: '
        '"2023-06-01"}, "hé", ""]')


OPENAI_DRIVER = """::t ns
before [::openai::chat/base-url(), err-message(::openai::chat/completions-stream({model: "m"}))]
::hot::ctx/set("openai.api.base-url", "http://127.0.0.1:9/v1/")
::hot::ctx/set("openai.api.key", "sk-o")
[before, ::openai::chat/base-url(), ::openai::chat/headers(),
 ::openai::chat/delta-text({data: {choices: [{delta: {content: "yo"}}]}}),
 ::openai::chat/delta-text({data: "[DONE]"})]
"""


def test_openai_reads_its_key_and_base_url_from_the_context() -> None:
    program = load_program({**bundled_sources("openai"), "t.hot": OPENAI_DRIVER})
    assert display(program.last_value("t.hot")) == (
        '[["https://api.openai.com/v1", "openai.api.key is not set: store the API key as a context secret named '
        'openai.api.key"], "http://127.0.0.1:9/v1", {authorization: "Bearer sk-o"}, "yo", ""]')


def test_the_distribution_ships_the_bundled_packages() -> None:
    """`hotlang/pkg` links to `packages/`, and package data includes Hot files and READMEs."""
    link = REPO / "hotlang" / "pkg"
    assert link.is_symlink() and link.resolve() == (REPO / "packages").resolve()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"*.hot"' in pyproject and '"*.md"' in pyproject
