"""Schedules end to end: static cron, dynamic one-time schedules created and cancelled from Hot code."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.platform import DevPlatform, running, wait_for
from tests.e2e.test_event_path import publish, settled_runs

APP = """
::app::math ns

// Inside this namespace `add` is this function: reach the core one by its full name.
add fn (a: Int, b: Int): Int {
  ::hot::math/add(a, b)
}

::app::jobs ns

tick
meta {schedule: "*/2 * * * * *"}
fn (info) {
  info
}

plan
meta {on-event: "plan:it"}
fn (event) {
  send("hot:schedule:new", {fn: "::app::math/add", args: [1, 2], schedule: event.data.when})
}

unplan
meta {on-event: "unplan:it"}
fn (event) {
  send("hot:schedule:cancel", event.data)
}
"""


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"app.hot": APP}, include_examples=False) as dev:
        yield dev


def _builtin_run(api: httpx.Client, platform: DevPlatform, trigger_event_id: str, event_type: str) -> dict[str, Any]:
    """The run of the built-in handler for the event a handler sent while handling `trigger_event_id`."""
    (trigger_run,) = settled_runs(api, trigger_event_id, 1)
    assert trigger_run["status"] == "succeeded", trigger_run

    def child() -> str | None:
        with psycopg.connect(platform.state["database_url"]) as conn:
            row = conn.execute("SELECT event_id::text FROM hot.event WHERE source_run_id = %s AND event_type = %s",
                               (trigger_run["run_id"], event_type)).fetchone()
        return row[0] if row else None

    child_id = wait_for(child, timeout=10)
    (run,) = settled_runs(api, child_id, 1)
    return run


def test_static_cron_fires_schedule_runs_in_new_streams(api: httpx.Client) -> None:
    def two_runs() -> list[dict[str, Any]] | None:
        runs = [r for r in api.get("/v1/runs", params={"type": "schedule", "limit": 500}).json()["data"]
                if isinstance(r.get("result"), dict) and r["result"].get("type") == "hot:schedule"
                and r["status"] == "succeeded"]
        return runs if len(runs) >= 2 else None

    runs = wait_for(two_runs, timeout=15, interval=0.2)
    assert len({r["stream_id"] for r in runs}) == len(runs), "every fire starts a new stream"
    for run in runs:
        assert run["run_type"] == "schedule"
        assert uuid.UUID(run["result"]["schedule_id"])
        assert run["result"]["scheduled_at"].endswith("Z")


def test_dynamic_one_time_schedule_fires_once_with_its_args(platform: DevPlatform, api: httpx.Client) -> None:
    event = publish(api, "plan:it", {"when": "in 2 seconds"})["data"]
    run = _builtin_run(api, platform, event["event_id"], "hot:schedule:new")
    assert run["status"] == "succeeded", run
    assert run["run_type"] == "event"
    schedule_id = run["result"]
    assert uuid.UUID(schedule_id)

    def fired() -> list[dict[str, Any]] | None:
        with psycopg.connect(platform.state["database_url"]) as conn:
            rows = conn.execute("SELECT event_id::text FROM hot.schedule_log WHERE schedule_id = %s",
                                (schedule_id,)).fetchall()
        return [r[0] for r in rows if r[0]] or None

    (fire_event,) = wait_for(fired, timeout=15, interval=0.2)
    (fire_run,) = settled_runs(api, fire_event, 1)
    assert fire_run["run_type"] == "schedule"
    assert fire_run["status"] == "succeeded" and fire_run["result"] == 3
    time.sleep(2.5)
    with psycopg.connect(platform.state["database_url"]) as conn:
        count = conn.execute("SELECT count(*) FROM hot.schedule_log WHERE schedule_id = %s",
                             (schedule_id,)).fetchone()
        active = conn.execute("SELECT active FROM hot.schedule WHERE schedule_id = %s", (schedule_id,)).fetchone()
    assert count == (1,) and active == (False,)


def test_cancelling_a_dynamic_schedule_before_it_fires(platform: DevPlatform, api: httpx.Client) -> None:
    event = publish(api, "plan:it", {"when": "in 3 seconds"})["data"]
    schedule_id = _builtin_run(api, platform, event["event_id"], "hot:schedule:new")["result"]
    cancel = publish(api, "unplan:it", {"schedule-id": schedule_id})["data"]
    run = _builtin_run(api, platform, cancel["event_id"], "hot:schedule:cancel")
    assert run["status"] == "succeeded" and run["result"] is True
    again = publish(api, "unplan:it", {"schedule-id": schedule_id})["data"]
    assert _builtin_run(api, platform, again["event_id"], "hot:schedule:cancel")["result"] is False
    empty = publish(api, "unplan:it", {})["data"]
    failed = _builtin_run(api, platform, empty["event_id"], "hot:schedule:cancel")
    assert failed["status"] == "failed"
    assert "either 'schedule-id' or 'fn'" in failed["result"]["$val"]["msg"]
    time.sleep(4)
    with psycopg.connect(platform.state["database_url"]) as conn:
        fires = conn.execute("SELECT count(*) FROM hot.schedule_log WHERE schedule_id = %s",
                             (schedule_id,)).fetchone()
    assert fires == (0,)


def test_bad_schedule_expressions_fail_the_run(platform: DevPlatform, api: httpx.Client) -> None:
    event = publish(api, "plan:it", {"when": "every 500 milliseconds"})["data"]
    run = _builtin_run(api, platform, event["event_id"], "hot:schedule:new")
    assert run["status"] == "failed"
    assert "Invalid schedule expression" in run["result"]["$val"]["msg"]
