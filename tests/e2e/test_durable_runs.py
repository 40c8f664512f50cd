"""Durable runs through real processes: retries, cancellation, crash recovery, dead letters, the outbox.

Platform-spec §10 scenarios 20–24, 26, 35 and the issue's fault tests.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running
from tests.support.waiting import wait_until

DURABLE = """
::durable::jobs ns

always-fails
meta {on-event: "retry:always", retry: {attempts: 2, delay: 200}}
fn (event) {
  fail("always broken", {attempt: "any"})
}

later
meta {on-event: "retry:later", retry: {attempts: 3, delay: 60000}}
fn (event) {
  fail("try again much later")
}

ok-sibling
meta {on-event: "retry:sibling"}
fn (event) {
  "sibling ok"
}

failing-sibling
meta {on-event: "retry:sibling", retry: {attempts: 1, delay: 200}}
fn (event) {
  fail("sibling broken")
}

give-up
meta {on-event: "cancel:self"}
fn (event) {
  cancel("not today", {why: "testing"})
}


flaky
meta {on-event: "flaky:go", retry: {attempts: 2, delay: 200}}
fn (event) {
  cond {
    lt(info().run.retry-attempt, 2) => { fail("flaky") }
    => { "third time lucky" }
  }
}

sleepy
meta {on-event: "slow:timeout", timeout: 2, retry: {attempts: 1, delay: 100}}
fn (event) {
  ::hot::time/sleep(10000)
}

long-nap
meta {on-event: "slow:nap"}
fn (event) {
  ::hot::time/sleep(event.data.ms)
  "rested"
}

quick
meta {on-event: "quick:one"}
fn (event) {
  event.data
}

a-replay-fine
meta {on-event: "dlq:replay"}
fn (event) {
  "written once"
}

b-replay-unwritable
meta {on-event: "dlq:replay"}
fn (event) {
  "refused by the test trigger"
}
"""


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"durable.hot": DURABLE}, include_examples=False,
                      env={"HOT_ACK_WAIT": "3", "HOT_FAULT_EXIT_BEFORE_PUBLISH": "fault:crash-ingest"}) as dev:
        yield dev


def stream_events(platform: DevPlatform, stream_id: str) -> list[str]:
    """The ids of a stream's events (the original and its retry copies), oldest first."""
    return [r[0] for r in platform.db_rows("SELECT event_id::text FROM hot.event WHERE stream_id = %s "
                                           "ORDER BY created_at", stream_id)]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def stream_runs(platform: DevPlatform, stream_id: str) -> list[dict[str, Any]]:
    """Every run of a stream, oldest first, read from the database (API shape not needed here)."""
    rows = platform.db_rows(
        "SELECT r.run_id::text, s.status, r.retry_attempt, r.origin_run_id::text, r.start_time, r.stop_time, "
        "r.next_retry_at, r.fn_name, r.result, r.event_id::text FROM hot.run r "
        "JOIN hot.run_status s ON s.status_id = r.status_id WHERE r.stream_id = %s ORDER BY r.start_time", stream_id)
    keys = ("run_id", "status", "retry_attempt", "origin_run_id", "start_time", "stop_time", "next_retry_at",
            "fn_name", "result", "event_id")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def test_retries_until_exhausted(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("retry:always", {"n": 1})

    def three_done() -> list[dict[str, Any]] | None:
        runs = stream_runs(platform, event["stream_id"])
        return runs if len(runs) == 3 and all(r["status"] == "failed" for r in runs) else None

    run1, run2, run3 = wait_until(three_done, timeout=20)
    assert [r["retry_attempt"] for r in (run1, run2, run3)] == [1, 2, 2]
    assert run1["origin_run_id"] is None
    assert run2["origin_run_id"] == run1["run_id"] and run3["origin_run_id"] == run2["run_id"]
    assert all(r["next_retry_at"] is None for r in (run1, run2, run3))
    assert run1["result"] == {"$type": "::hot::run/Failure",
                              "$val": {"msg": "always broken", "err": {"attempt": "any"}}}
    for earlier, later in ((run1, run2), (run2, run3)):
        assert (later["start_time"] - earlier["stop_time"]).total_seconds() >= 0.2
        assert later["event_id"] != earlier["event_id"], "each retry has its own event row"
    # No fourth attempt can come: only a `pending_retry` run is ever retried, and the executor is
    # done with every event of the stream (nothing queued can add a run).
    platform.wait_events_completed(*stream_events(platform, event["stream_id"]))
    assert [r["status"] for r in stream_runs(platform, event["stream_id"])] == ["failed"] * 3
    # The retry events copy the original's type and data.
    rows = platform.db_rows("SELECT event_type, event_data, retry_attempt FROM hot.event WHERE stream_id = %s "
                            "ORDER BY created_at", event["stream_id"])
    assert rows == [("retry:always", {"n": 1}, 0), ("retry:always", {"n": 1}, 1), ("retry:always", {"n": 1}, 2)]


def test_flaky_handler_succeeds_on_the_third_attempt(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("flaky:go", {})

    def finished() -> list[dict[str, Any]] | None:
        runs = stream_runs(platform, event["stream_id"])
        return runs if len(runs) == 3 and runs[-1]["status"] == "succeeded" else None

    run1, run2, run3 = wait_until(finished, timeout=20)
    assert (run1["status"], run1["retry_attempt"], run1["origin_run_id"]) == ("failed", 1, None)
    assert (run2["status"], run2["retry_attempt"], run2["origin_run_id"]) == ("failed", 2, run1["run_id"])
    assert (run3["status"], run3["retry_attempt"], run3["origin_run_id"]) == ("succeeded", 2, run2["run_id"])
    assert run3["result"] == "third time lucky"
    for earlier, later in ((run1, run2), (run2, run3)):
        assert (later["start_time"] - earlier["stop_time"]).total_seconds() >= 0.2


def test_timeout_fails_the_run_and_retries_it(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("slow:timeout", {})

    def both_failed() -> list[dict[str, Any]] | None:
        runs = stream_runs(platform, event["stream_id"])
        return runs if len(runs) == 2 and all(r["status"] == "failed" for r in runs) else None

    runs = wait_until(both_failed, timeout=30, interval=0.2)
    for run in runs:
        assert run["result"]["$val"]["msg"] == "Run timed out after 2 seconds"
        assert 2 <= (run["stop_time"] - run["start_time"]).total_seconds() < 7
    assert runs[1]["origin_run_id"] == runs[0]["run_id"]


def test_long_runs_heartbeat_instead_of_being_redelivered(platform: DevPlatform, api: ApiClient) -> None:
    # ack_wait is 3 s here: without in-progress heartbeats a 5 s run would be redelivered.
    event = api.publish("slow:nap", {"ms": 5000})
    (run,) = api.settled_runs(event["event_id"], 1, timeout=30)
    # A redelivery while the run went on would have failed its row as crashed first, so the
    # compare-and-set success write proves there was none; after the ack nothing is redelivered.
    assert run["status"] == "succeeded" and run["result"] == "rested"
    platform.wait_events_completed(event["event_id"])
    assert [r["run_id"] for r in api.runs_of(event["event_id"])] == [run["run_id"]]


def test_pending_retry_is_visible_and_cancellable(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("retry:later", {})
    (run,) = wait_until(lambda: [r for r in api.get(f"/v1/events/{event['event_id']}/runs").json()["data"]
                               if r["status"] == "pending_retry"], timeout=10)
    assert run["retry_attempt"] == 1
    assert _ts(run["next_retry_at"]) > _ts(run["stop_time"])
    listed = api.get("/v1/runs", params={"status": "pending_retry", "limit": 500}).json()["data"]
    assert run["run_id"] in {r["run_id"] for r in listed}

    resp = api.post(f"/v1/runs/{run['run_id']}/cancel", json={"reason": "no longer needed"})
    assert resp.status_code == 200, resp.text
    cancelled = resp.json()["data"]
    assert cancelled["status"] == "cancelled"
    assert "next_retry_at" not in cancelled
    assert cancelled["result"] == {"$type": "::hot::run/Cancellation", "$val": {"msg": "no longer needed",
                                                                                 "data": None}}
    again = api.post(f"/v1/runs/{run['run_id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert api.post(f"/v1/runs/{'0' * 8}-0000-0000-0000-{'0' * 12}/cancel").status_code == 404


def test_a_retry_reruns_only_the_failed_handler(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("retry:sibling", {})

    def settled() -> list[dict[str, Any]] | None:
        runs = stream_runs(platform, event["stream_id"])
        failing = [r for r in runs if r["fn_name"].endswith("/failing-sibling")]
        return runs if len(failing) == 2 and all(r["status"] == "failed" for r in failing) else None

    wait_until(settled, timeout=15)
    # Once the executor is done with the original and its retry copy, every run they cause exists.
    platform.wait_events_completed(*stream_events(platform, event["stream_id"]))
    runs = stream_runs(platform, event["stream_id"])
    ok = [r for r in runs if r["fn_name"].endswith("/ok-sibling")]
    assert len(ok) == 1 and ok[0]["status"] == "succeeded", "the sibling that succeeded must not run again"
    assert len(runs) == 3


def test_cancel_in_hot_code_records_cancelled_and_never_retries(api: ApiClient) -> None:
    event = api.publish("cancel:self", {})
    (run,) = api.settled_runs(event["event_id"], 1)
    assert run["status"] == "cancelled"
    assert run["result"] == {"$type": "::hot::run/Cancellation", "$val": {"msg": "not today",
                                                                           "data": {"why": "testing"}}}


def test_cancelling_a_running_run_via_the_api(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("slow:nap", {"ms": 60_000})
    (run,) = wait_until(lambda: api.get(f"/v1/events/{event['event_id']}/runs").json()["data"], timeout=10)
    assert run["status"] == "running"
    started = time.monotonic()
    resp = api.post(f"/v1/runs/{run['run_id']}/cancel")
    assert resp.status_code == 200 and resp.json()["data"]["status"] == "cancelled"
    assert time.monotonic() - started < 5
    # The executor stops waiting for it and moves on: other events are served.
    quick = api.publish("quick:one", {"after": "cancel"})
    (done,) = api.settled_runs(quick["event_id"], 1)
    assert done["status"] == "succeeded"
    assert api.get(f"/v1/runs/{run['run_id']}").json()["data"]["status"] == "cancelled"


def test_executor_killed_mid_run_recovers(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("slow:nap", {"ms": 2000})
    (first,) = wait_until(lambda: api.get(f"/v1/events/{event['event_id']}/runs").json()["data"], timeout=10,
                        interval=0.01)
    assert first["status"] == "running"
    os.kill(platform.reload_state()["pids"]["executor"], signal.SIGKILL)

    def recovered() -> list[dict[str, Any]] | None:
        runs: list[dict[str, Any]] = api.get(f"/v1/events/{event['event_id']}/runs").json()["data"]
        return runs if any(r["status"] == "succeeded" for r in runs) else None

    runs = wait_until(recovered, timeout=90, interval=0.2)
    by_id = {r["run_id"]: r for r in runs}
    crashed = by_id[first["run_id"]]
    assert crashed["status"] == "failed"
    assert crashed["result"]["$val"]["msg"] == "Worker crashed during event processing - event will be retried"
    assert [r["status"] for r in runs].count("succeeded") == 1
    assert not [r for r in runs if r["status"] == "running"]


def _wait_dead_lettered(api: ApiClient, event_id: str) -> dict[str, Any]:
    """The event's open dead letter, once ingest has recorded it."""

    def dead() -> list[dict[str, Any]] | None:
        letters = api.get("/v1/dead-letters").json()["data"]
        return [d for d in letters if d["event"]["event_id"] == event_id] or None

    (letter,) = wait_until(dead, timeout=30, interval=0.2)
    return letter


def test_exhausted_deliveries_are_dead_lettered_and_replayable(platform: DevPlatform, api: ApiClient) -> None:
    # A build that cannot load makes processing fail before any run exists: setup failures are
    # redelivered, then dead-lettered. Executors preload builds announced by a deploy, so the
    # broken build is written straight into the database, as a corrupted row would be.
    source = '::poison ns\n\npoisoned\nmeta {on-event: "dlq:poison"}\nfn (event) {\n  event.data\n}\n'
    project_id, build_id, handler_id = (str(uuid.uuid4()) for _ in range(3))
    platform.db_execute("INSERT INTO hot.project (project_id, env_id, name) VALUES (%s, %s, 'poison')",
                        project_id, platform.state["env_id"])
    platform.db_execute("INSERT INTO hot.build (build_id, project_id, env_id, files, source_hash, deployed) "
                        "VALUES (%s, %s, %s, %s, 'broken', true)", build_id, project_id, platform.state["env_id"],
                        Jsonb({"poison.hot": "::poison ns\nf fn ( {"}))
    platform.db_execute("INSERT INTO hot.event_handler (event_handler_id, build_id, event_type, ns, var) "
                        "VALUES (%s, %s, 'dlq:poison', '::poison', 'poisoned')", handler_id, build_id)
    try:
        event = api.publish("dlq:poison", {"x": 1})

        letter = _wait_dead_lettered(api, event["event_id"])
        assert letter["deliveries"] == 3
        assert letter["replayed_at"] is None
        assert api.get(f"/v1/events/{event['event_id']}/runs").json()["data"] == []
    finally:
        platform.db_execute("UPDATE hot.build SET files = %s WHERE build_id = %s", Jsonb({"poison.hot": source}),
                            build_id)
    resp = api.post(f"/v1/dead-letters/{letter['dead_letter_id']}/replay")
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["replay_count"] == 1
    (run,) = api.settled_runs(event["event_id"], 1, timeout=30)
    assert run["status"] == "succeeded" and run["result"] == {"x": 1}
    open_letters = api.get("/v1/dead-letters").json()["data"]
    assert letter["dead_letter_id"] not in {d["dead_letter_id"] for d in open_letters}
    replayed = api.get("/v1/dead-letters", params={"include_replayed": "true"}).json()["data"]
    assert letter["dead_letter_id"] in {d["dead_letter_id"] for d in replayed}


def _run_statuses(platform: DevPlatform, event_id: str, fn_name: str) -> list[str]:
    rows = platform.db_rows("SELECT s.status FROM hot.run r JOIN hot.run_status s ON s.status_id = r.status_id "
                            "WHERE r.event_id = %s AND r.fn_name = %s ORDER BY r.start_time", event_id, fn_name)
    return [row[0] for row in rows]


def test_a_replayed_dead_letter_does_not_rerun_handlers_that_finished(platform: DevPlatform,
                                                                      api: ApiClient) -> None:
    # Two handlers, run in order: `a-replay-fine` succeeds; the result write of `b-replay-unwritable`
    # fails (a trigger refuses it, as a database outage would), so processing fails after `a`
    # finished, every delivery, until the event is dead-lettered. Its replay must be a redelivery:
    # `a` is skipped. (A result PostgreSQL cannot store no longer does this: it fails only its run.)
    fine, unwritable = "::durable::jobs/a-replay-fine", "::durable::jobs/b-replay-unwritable"
    platform.db_execute(
        "CREATE OR REPLACE FUNCTION hot.test_refuse_result() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.result = '\"refused by the test trigger\"'::jsonb THEN RAISE EXCEPTION 'refused by the test'; "
        "END IF; RETURN NEW; END $$")
    platform.db_execute("CREATE TRIGGER test_refuse_result BEFORE UPDATE ON hot.run FOR EACH ROW "
                        "EXECUTE FUNCTION hot.test_refuse_result()")
    try:
        _replay_skips_finished_handlers(platform, api, fine, unwritable)
    finally:
        platform.db_execute("DROP TRIGGER test_refuse_result ON hot.run")


def _replay_skips_finished_handlers(platform: DevPlatform, api: ApiClient, fine: str, unwritable: str) -> None:
    event = api.publish("dlq:replay", {"x": 1})
    letter = _wait_dead_lettered(api, event["event_id"])
    assert _run_statuses(platform, event["event_id"], fine) == ["succeeded"]
    before = _run_statuses(platform, event["event_id"], unwritable)
    assert len(before) == letter["deliveries"] == 3
    resp = api.post(f"/v1/dead-letters/{letter['dead_letter_id']}/replay")
    assert resp.status_code == 200, resp.text

    def reran() -> list[str] | None:
        runs = _run_statuses(platform, event["event_id"], unwritable)
        return runs if len(runs) > len(before) else None

    # The replayed delivery runs `b` again; `a` (ordered first) would have run before it.
    after = wait_until(reran, timeout=30, interval=0.2)
    assert _run_statuses(platform, event["event_id"], fine) == ["succeeded"]
    assert after[:len(before)] == ["failed"] * len(before)  # the replay reconciled the last crashed attempt


def test_ingest_killed_between_commit_and_publish_loses_nothing(platform: DevPlatform, api: ApiClient) -> None:
    before = platform.db_count("SELECT count(*) FROM hot.event WHERE event_type = 'fault:crash-ingest'")
    old_pid = platform.reload_state()["pids"]["ingest"]
    resp = api.post("/v1/events", json={"event_type": "fault:crash-ingest", "event_data": {"k": 1}})
    assert resp.status_code >= 500, "ingest died before answering"
    assert platform.db_count("SELECT count(*) FROM hot.event WHERE event_type = 'fault:crash-ingest'") == before + 1
    wait_until(lambda: platform.reload_state()["pids"]["ingest"] != old_pid, timeout=20)
    # The sweeper publishes the committed-but-unpublished event; the executor marks it completed.
    wait_until(lambda: platform.db_count("SELECT count(*) FROM hot.event WHERE event_type = 'fault:crash-ingest' "
                                        "AND published_at IS NOT NULL AND completed_at IS NOT NULL") == before + 1,
             timeout=30, interval=0.2)
