"""Runs in sandbox worker processes, through a real `hot dev`: limits that hold without hurting
the executor, output stored with the run, and no ambient authority (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running

BOX = """
::box::runs ns

talk
meta {on-event: "box:print"}
fn (event) {
  print("hello ")
  println("from a sandboxed run")
  "ok"
}

secrets
meta {on-event: "box:env"}
fn (event) {
  {db: ::hot::env/get("DATABASE_URL"), nats: ::hot::env/get("NATS_URL"), greeting: ::hot::env/get("GREETING")}
}

crunch
meta {on-event: "box:crunch", timeout: 1}
fn (event) {
  pow(7, event.data.n)
}

hog
meta {on-event: "box:hog", timeout: 60}
fn (event) {
  big range(0, 9000000)
  reduce(range(0, 60), (acc, i) { concat(acc, [map(big, (x) { add(x, i) })]) }, [])
}

echo
meta {on-event: "box:ok"}
fn (event) {
  event.data
}
"""


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"box.hot": BOX}, include_examples=False,
                 env={"HOT_EXECUTOR_WORKERS": "2", "HOT_WORKER_MEMORY_MB": "512", "HOT_CODE_ENV": "GREETING",
                      "GREETING": "hello operator",
                      # Big enough for `box:crunch` to be one long C-level pow that only the kill stops.
                      "HOT_RUN_MAX_INT_DIGITS": "1000000000"}) as dev:
        yield dev


def test_print_is_stored_with_the_run_and_not_logged(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("box:print", {})
    (run,) = api.settled_runs(event["event_id"])
    assert run["status"] == "succeeded", run
    stored = api.run(run["run_id"])
    assert (stored["output"], stored["output_truncated"]) == ("hello from a sandboxed run\n", False)
    assert "from a sandboxed run" not in platform.log()


def test_hot_code_reads_only_allow_listed_variables(api: ApiClient) -> None:
    event = api.publish("box:env", {})
    (run,) = api.settled_runs(event["event_id"])
    assert run["result"] == {"db": None, "nats": None, "greeting": "hello operator"}


def test_a_runaway_run_is_killed_at_its_limit_while_other_runs_succeed(api: ApiClient) -> None:
    runaway = api.publish("box:crunch", {"n": 900_000_000})
    normal = [api.publish("box:ok", {"i": i}) for i in range(10)]
    for i, event in enumerate(normal):
        (run,) = api.settled_runs(event["event_id"])
        assert (run["status"], run["result"]) == ("succeeded", {"i": i})
    (run,) = api.settled_runs(runaway["event_id"], timeout=30)
    assert run["status"] == "failed"
    assert run["result"]["$val"]["msg"] == "Run timed out after 1 seconds"
    after = api.publish("box:ok", {"after": True})
    assert api.settled_runs(after["event_id"])[0]["status"] == "succeeded"


def test_a_memory_bomb_fails_naming_the_memory_limit(api: ApiClient) -> None:
    event = api.publish("box:hog", {})
    (run,) = api.settled_runs(event["event_id"], timeout=60)
    assert run["status"] == "failed"
    assert run["result"]["$val"]["msg"] == "Run exceeded the memory limit of 512 MB (HOT_WORKER_MEMORY_MB)"
    after = api.publish("box:ok", {"after": "the bomb"})
    assert api.settled_runs(after["event_id"])[0]["status"] == "succeeded"
