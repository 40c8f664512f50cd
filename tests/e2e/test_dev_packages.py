"""`hot dev --project DIR` with a `hot.hot`: the build includes dependency code, and editing a
local path dependency (outside the project folder) redeploys."""

from __future__ import annotations

from typing import Any

from tests.support.platform import running
from tests.support.waiting import wait_until

HOT_HOT = """hot.project.shop.src.paths ["src/"]
hot.project.shop.deps {
  "acme/greet": {local: "../greet"},
  "hot.dev/anthropic": {}
}
"""

HANDLER = """::shop::hello ns

::words ::greet::words

on-greet
meta {on-event: "greet:me"}
fn (event) {
  [::words/hello(event.data.name), ::anthropic::messages/base-url()]
}
"""

GREET_PKG = 'hot.pkg.greet {name: "greet", version: "1.0.0"}\n'
GREET_SRC = '::greet::words ns\n\nhello fn (name) {\n  concat("hello, ", name)\n}\n'


def test_dev_deploys_dependency_code_and_redeploys_when_a_local_dependency_changes() -> None:
    with running({"hot.hot": HOT_HOT, "src/hello.hot": HANDLER}, include_examples=False,
                 outside_files={"greet/pkg.hot": GREET_PKG, "greet/src/greet/words.hot": GREET_SRC}) as dev:
        api = dev.client()
        assert dev.state["project"] == "shop"  # the name hot.hot declares
        ((files,),) = dev.db_rows("SELECT files FROM hot.build WHERE deployed ORDER BY deployed_at DESC LIMIT 1")
        assert {"src/hello.hot", "deps/greet/src/greet/words.hot",
                "deps/anthropic/src/anthropic/messages.hot"} <= set(files)
        assert "hot.hot" not in files and not any(key.endswith("pkg.hot") for key in files)
        event = api.publish("greet:me", {"name": "Ann"})
        (run,) = api.settled_runs(event["event_id"])
        assert run["status"] == "succeeded", run
        assert run["result"] == ["hello, Ann", "https://api.anthropic.com"]

        (dev.base / "greet" / "src" / "greet" / "words.hot").write_text(GREET_SRC.replace("hello, ", "hi, "))

        def redeployed() -> list[dict[str, Any]] | None:
            event = api.publish("greet:me", {"name": "Bo"})
            (run,) = api.settled_runs(event["event_id"])
            return [run] if run["result"] == ["hi, Bo", "https://api.anthropic.com"] else None

        wait_until(redeployed, timeout=30, interval=0.3, what="the edited dependency deployed")


def test_dev_reports_an_unresolved_dependency_and_keeps_running() -> None:
    broken = HOT_HOT.replace("../greet", "../nowhere")
    with running({"hot.hot": broken, "src/hello.hot": HANDLER}, include_examples=False) as dev:
        assert "Local dependency path does not exist: ../nowhere" in dev.log_path.read_text(errors="replace")
        assert f"{dev.project / 'hot.hot'}:3:3" in dev.log_path.read_text(errors="replace")
        assert dev.db_count("SELECT count(*) FROM hot.build") == 0
        # Fixing hot.hot deploys (the watcher sees the project folder).
        (dev.base / "nowhere" / "src").mkdir(parents=True)
        (dev.base / "nowhere" / "src" / "words.hot").write_text(GREET_SRC)
        (dev.project / "hot.hot").write_text(broken + "\n")
        wait_until(lambda: dev.db_count("SELECT count(*) FROM hot.build") == 1, timeout=30,
                   what="the fixed project deployed")
