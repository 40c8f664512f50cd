"""Schedules end to end: static cron, dynamic one-time schedules created and cancelled from Hot code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running
from tests.support.waiting import wait_until

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


def _builtin_run(api: ApiClient, platform: DevPlatform, trigger_event_id: str, event_type: str) -> dict[str, Any]:
    """The run of the built-in handler for the event a handler sent while handling `trigger_event_id`."""
    (trigger_run,) = api.settled_runs(trigger_event_id, 1)
    assert trigger_run["status"] == "succeeded", trigger_run

    def child() -> str | None:
        rows = platform.db_rows("SELECT event_id::text FROM hot.event WHERE source_run_id = %s AND event_type = %s",
                                trigger_run["run_id"], event_type)
        return rows[0][0] if rows else None

    child_id = wait_until(child, timeout=10)
    (run,) = api.settled_runs(child_id, 1)
    return run


def run_at(platform: DevPlatform, schedule_id: str) -> datetime:
    """When a one-time schedule is (or was) due."""
    ((when,),) = platform.db_rows("SELECT run_at FROM hot.schedule WHERE schedule_id = %s", schedule_id)
    assert isinstance(when, datetime)
    return when


def wait_for_the_firing_loop_past(platform: DevPlatform, instant: datetime) -> None:
    """Sentinel for "did not fire": the leader fires in time order, so once the static `tick`
    (every 2 s) has fired for a time 2 s past `instant`, anything due at `instant` was fired too."""
    wait_until(lambda: platform.db_count("SELECT count(*) FROM hot.schedule_log l JOIN hot.schedule s "
                                         "USING (schedule_id) WHERE s.var = 'tick' AND l.scheduled_time >= %s",
                                         instant + timedelta(seconds=2)) > 0,
               timeout=15, interval=0.2, what=f"a tick fire after {instant}")


def test_static_cron_fires_schedule_runs_in_new_streams(api: ApiClient) -> None:
    def two_runs() -> list[dict[str, Any]] | None:
        runs = [r for r in api.get("/v1/runs", params={"type": "schedule", "limit": 500}).json()["data"]
                if isinstance(r.get("result"), dict) and r["result"].get("type") == "hot:schedule"
                and r["status"] == "succeeded"]
        return runs if len(runs) >= 2 else None

    runs = wait_until(two_runs, timeout=15, interval=0.2)
    assert len({r["stream_id"] for r in runs}) == len(runs), "every fire starts a new stream"
    for run in runs:
        assert run["run_type"] == "schedule"
        assert uuid.UUID(run["result"]["schedule_id"])
        assert run["result"]["scheduled_at"].endswith("Z")


def test_dynamic_one_time_schedule_fires_once_with_its_args(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("plan:it", {"when": "in 2 seconds"})
    run = _builtin_run(api, platform, event["event_id"], "hot:schedule:new")
    assert run["status"] == "succeeded", run
    assert run["run_type"] == "event"
    schedule_id = run["result"]
    assert uuid.UUID(schedule_id)

    def fired() -> list[str] | None:
        rows = platform.db_rows("SELECT event_id::text FROM hot.schedule_log WHERE schedule_id = %s", schedule_id)
        return [r[0] for r in rows if r[0]] or None

    (fire_event,) = wait_until(fired, timeout=15, interval=0.2)
    (fire_run,) = api.settled_runs(fire_event, 1)
    assert fire_run["run_type"] == "schedule"
    assert fire_run["status"] == "succeeded" and fire_run["result"] == 3
    wait_for_the_firing_loop_past(platform, run_at(platform, schedule_id))
    assert platform.db_count("SELECT count(*) FROM hot.schedule_log WHERE schedule_id = %s", schedule_id) == 1
    assert platform.db_rows("SELECT active FROM hot.schedule WHERE schedule_id = %s", schedule_id) == [(False,)]


def test_cancelling_a_dynamic_schedule_before_it_fires(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("plan:it", {"when": "in 3 seconds"})
    schedule_id = _builtin_run(api, platform, event["event_id"], "hot:schedule:new")["result"]
    cancel = api.publish("unplan:it", {"schedule-id": schedule_id})
    run = _builtin_run(api, platform, cancel["event_id"], "hot:schedule:cancel")
    assert run["status"] == "succeeded" and run["result"] is True
    again = api.publish("unplan:it", {"schedule-id": schedule_id})
    assert _builtin_run(api, platform, again["event_id"], "hot:schedule:cancel")["result"] is False
    empty = api.publish("unplan:it", {})
    failed = _builtin_run(api, platform, empty["event_id"], "hot:schedule:cancel")
    assert failed["status"] == "failed"
    assert "either 'schedule-id' or 'fn'" in failed["result"]["$val"]["msg"]
    wait_for_the_firing_loop_past(platform, run_at(platform, schedule_id))
    assert platform.db_count("SELECT count(*) FROM hot.schedule_log WHERE schedule_id = %s", schedule_id) == 0


def test_bad_schedule_expressions_fail_the_run(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("plan:it", {"when": "every 500 milliseconds"})
    run = _builtin_run(api, platform, event["event_id"], "hot:schedule:new")
    assert run["status"] == "failed"
    assert "Invalid schedule expression" in run["result"]["$val"]["msg"]
