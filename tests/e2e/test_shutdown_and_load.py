"""Graceful shutdown of an executor, and 5,000 events through two executors while one is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running
from tests.support.waiting import wait_until, wait_until_async

WORK = """
::load::work ns


long-nap
meta {on-event: "slow:nap"}
fn (event) {
  ::hot::time/sleep(event.data.ms)
  "rested"
}

tick
meta {on-event: "load:tick"}
fn (event) {
  event.data.i
}
"""

EVENTS = 5000


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"work.hot": WORK}, include_examples=False,
                      env={"HOT_ACK_WAIT": "3", "HOT_DEV_EXECUTORS": "2", "HOT_SHUTDOWN_GRACE": "3"}) as dev:
        yield dev


def _running_run(api: ApiClient, ms: int) -> tuple[dict[str, Any], str]:
    """Publish an event whose run sleeps `ms`; return the run (once running) and the event id."""
    event = api.publish("slow:nap", {"ms": ms})
    (run,) = wait_until(lambda: api.get(f"/v1/events/{event['event_id']}/runs").json()["data"], timeout=10,
                      interval=0.01)
    return run, event["event_id"]


def test_sigterm_lets_a_short_run_finish(platform: DevPlatform, api: ApiClient) -> None:
    pids = platform.reload_state()["pids"]
    run, event_id = _running_run(api, 1000)
    for name in ("executor", "executor-2"):
        os.kill(pids[name], signal.SIGTERM)  # both drain: whichever runs it must finish it
    (done,) = api.settled_runs(event_id, 1, timeout=30)
    assert done["run_id"] == run["run_id"]
    assert done["status"] == "succeeded" and done["result"] == "rested"
    wait_until(lambda: all(platform.reload_state()["pids"][n] != pids[n] for n in ("executor", "executor-2")),
             timeout=30)


def test_sigterm_past_the_grace_period_fails_the_run(platform: DevPlatform, api: ApiClient) -> None:
    pids = platform.reload_state()["pids"]
    _, event_id = _running_run(api, 120_000)
    started = time.monotonic()
    for name in ("executor", "executor-2"):
        os.kill(pids[name], signal.SIGTERM)
    (done,) = api.settled_runs(event_id, 1, timeout=30)
    assert time.monotonic() - started < 25
    assert done["status"] == "failed"
    assert done["result"]["$val"]["msg"] == "Run interrupted: the executor shut down before it finished"
    wait_until(lambda: all(platform.reload_state()["pids"][n] != pids[n] for n in ("executor", "executor-2")),
             timeout=30)


async def _publish(url: str, key: str, count: int) -> list[str]:
    ids: list[str] = []
    queue = list(range(count))

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            i = queue.pop()
            async with session.post("/v1/events", json={"event_type": "load:tick", "event_data": {"i": i}}) as resp:
                assert resp.status == 201, await resp.text()
                ids.append((await resp.json())["data"]["event_id"])

    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(base_url=url, headers=headers,
                                     connector=aiohttp.TCPConnector(limit=32)) as session:
        await asyncio.gather(*(worker(session) for _ in range(32)))
    return ids


def test_load_through_two_executors_while_one_is_killed(platform: DevPlatform) -> None:
    state = platform.reload_state()
    completed_sql = "SELECT count(*) FROM hot.event WHERE event_type = 'load:tick' AND completed_at IS NOT NULL"

    async def scenario() -> list[str]:
        publishing = asyncio.create_task(_publish(state["gateway_url"], state["api_key"], EVENTS))

        async def under_way() -> bool:
            return await asyncio.to_thread(platform.db_count, completed_sql) >= EVENTS // 20

        # Kill one executor in the middle of the load: once events are being completed.
        await wait_until_async(under_way, 60, interval=0.1, what="the load under way")
        os.kill(platform.reload_state()["pids"]["executor-2"], signal.SIGKILL)
        return await publishing

    event_ids = asyncio.run(scenario())
    assert len(event_ids) == EVENTS

    wait_until(lambda: platform.db_count(completed_sql) == EVENTS, timeout=240, interval=0.5,
               what="every event completed")
    per_event = platform.db_rows(
        "SELECT e.event_id, count(*) FILTER (WHERE r.status_id = 2) AS ok, "
        "count(*) FILTER (WHERE r.status_id = 3 AND r.info ? 'crashed') AS crashed, "
        "count(*) FILTER (WHERE r.status_id = 1) AS running, count(r.run_id) AS total "
        "FROM hot.event e LEFT JOIN hot.run r ON r.event_id = e.event_id "
        "WHERE e.event_type = 'load:tick' GROUP BY e.event_id")
    assert len(per_event) == EVENTS
    ok = sum(row[1] for row in per_event)
    crashed = sum(row[2] for row in per_event)
    running = sum(row[3] for row in per_event)
    total = sum(row[4] for row in per_event)
    print(f"\nload: {EVENTS} events, {total} runs: {ok} succeeded, {crashed} failed by crash reconciliation "
          f"(linked duplicates), {running} running")
    assert all(row[1] == 1 for row in per_event), "every event has exactly one succeeded run of its handler"
    assert running == 0
    assert total == ok + crashed, "the only extra runs are the visible crash-reconciled attempts"
