"""The official Python SDK (`hot-dev==1.2.0`, package `hot`) against a running `hot dev`, unchanged.

The gateway's SSE cap is set to 2 s here, so every long subscription exercises the SDK's
reconnect path (replay on reconnect, platform-spec §5.6).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import httpx
import pytest
from hot import HotClient
from hot.errors import HotApiError, HotRunError

from tests.support.platform import DevPlatform, running
from tests.support.sources import FAILING
from tests.support.waiting import wait_until

CAP_S = 2


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"failing.hot": FAILING}, env={"HOT_SSE_MAX_SECONDS": str(CAP_S)}) as dev:
        yield dev


@pytest.fixture()
def connections() -> list[str]:
    """The paths of the SSE responses the SDK opened, in order (filled by the `hot` client)."""
    return []


@pytest.fixture()
def hot(platform: DevPlatform, connections: list[str]) -> Iterator[HotClient]:
    def opened(response: httpx.Response) -> None:
        # Called when the headers arrived, which the gateway sends once the subscription is live.
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            connections.append(response.request.url.path)

    with httpx.Client(timeout=30, event_hooks={"response": [opened]}) as http:
        client = HotClient(token=platform.state["api_key"], base_url=platform.state["gateway_url"], client=http)
        try:
            yield client
        finally:
            client.close()


def settled_runs(hot: HotClient, event_id: str, count: int = 1) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]] | None:
        runs: list[dict[str, Any]] = hot.events.get_runs(event_id)["data"]
        return runs if len(runs) >= count and all(r["status"] != "running" for r in runs) else None

    runs: list[dict[str, Any]] = wait_until(ready, 15)
    return runs


def test_the_official_sdk_version() -> None:
    assert version("hot-dev") == "1.2.0"


def test_events_publish_get_list_and_runs(hot: HotClient) -> None:
    event = hot.events.publish({"event_type": "order:created", "event_data": {"order_id": "sdk-1"}})
    assert uuid.UUID(event["stream_id"]) and event["event_data"] == {"order_id": "sdk-1"}
    assert hot.events.get(event["event_id"]) == event
    listing = hot.events.list(limit=500)
    assert event["event_id"] in {e["event_id"] for e in listing["data"]}
    assert {"total", "limit", "offset", "has_more"} <= listing["pagination"].keys()
    runs = settled_runs(hot, event["event_id"], 2)
    assert {r["status"] for r in runs} == {"succeeded"}
    with pytest.raises(HotApiError) as info:
        hot.events.get(str(uuid.uuid4()))
    assert info.value.status_code == 404 and info.value.code == "not_found"


def test_call_hot_returns_the_result(hot: HotClient) -> None:
    assert hot.events.call_hot("::shop::math/sum", [2, 3]) == 5


def test_call_hot_streams_chunks(hot: HotClient) -> None:
    chunks: list[str] = []
    result = hot.events.call_hot("::shop::chat/process-stream", [["alpha", "beta", "gamma"], ""],
                                 on_chunk=chunks.append)
    assert chunks == ["alpha ", "beta ", "gamma "]
    assert result == "alpha beta gamma "


def test_call_hot_failure_raises(hot: HotClient) -> None:
    with pytest.raises(RuntimeError, match="not found"):
        hot.events.call_hot("::nowhere::to/be-found", [])


def test_subscribe_with_event_ends_by_itself(hot: HotClient) -> None:
    events = list(hot.streams.subscribe_with_event({"event_type": "chat:message",
                                                    "event_data": {"message": "one two three"}}))
    assert [e["type"] for e in events] == ["event:published", "run:start", "stream:data", "stream:data",
                                           "stream:data", "run:stop"]
    assert events[1]["run"]["event_id"] == events[0]["event_id"]
    assert [e["payload"]["text"] for e in events[2:5]] == ["one ", "two ", "three "]
    assert events[-1]["run"]["result"] == "one two three "


def test_runs_get_list_stats_wait(hot: HotClient) -> None:
    event = hot.events.publish({"event_type": "chat:message", "event_data": {"message": "w"}})
    run = settled_runs(hot, event["event_id"])[0]
    assert hot.runs.get(run["run_id"]) == run
    assert hot.runs.wait(run["run_id"]) == run
    listing = hot.runs.list(limit=1)
    assert listing["pagination"]["limit"] == 1 and len(listing["data"]) == 1
    assert hot.runs.list(status="succeeded", type="event", time_range="P1D")["pagination"]["total"] >= 1
    stats = hot.runs.stats()
    assert stats["total_runs"] == hot.runs.list()["pagination"]["total"]
    assert stats["succeeded"] >= 1


def test_runs_wait_raises_for_a_failed_run(hot: HotClient) -> None:
    event = hot.events.publish({"event_type": "test:explode", "event_data": {}})
    run = settled_runs(hot, event["event_id"])[0]
    with pytest.raises(HotRunError) as info:
        hot.runs.wait(run["run_id"])
    assert info.value.run["status"] == "failed"
    assert "boom: nothing works" in str(info.value)


def test_env_and_projects(hot: HotClient, platform: DevPlatform) -> None:
    assert hot.env.get()["env_id"] == platform.state["env_id"]
    handlers = hot.projects.event_handlers(platform.state["project"])
    assert "chat:message" in {h["event_type"] for h in handlers["data"]}


def _insert_run(platform: DevPlatform, event_id: str, status_id: int) -> str:
    run_id = str(uuid.uuid4())
    platform.db_execute("INSERT INTO hot.run (run_id, env_id, stream_id, run_type_id, event_id, status_id, stop_time, "
                        "result) SELECT %s, env_id, stream_id, 2, event_id, %s, "
                        "CASE WHEN %s = 1 THEN NULL ELSE now() END, '\"late\"' FROM hot.event WHERE event_id = %s",
                        run_id, status_id, status_id, event_id)
    return run_id


def test_subscribe_with_event_reconnects_and_finds_the_run_by_replay(hot: HotClient,
                                                                     platform: DevPlatform) -> None:
    """The run ends while the SDK is between connections (the gateway cut it at the cap):
    the replay on reconnect delivers it, and the iterator ends by itself."""
    seen: list[dict[str, Any]] = []
    done = threading.Event()

    def consume() -> None:
        for event in hot.streams.subscribe_with_event({"event_type": "nobody:listens", "event_data": {}}):
            seen.append(event)
        done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    # The gateway ends the first connection at the cap; the run is inserted only after that.
    wait_until(lambda: any(e["type"] == "stream:complete" for e in seen), CAP_S + 10,
               what="the first connection cut at the cap")
    _insert_run(platform, seen[0]["event_id"], 2)
    assert done.wait(15)
    types = [e["type"] for e in seen]
    assert "stream:complete" in types  # the first connection really was cut
    assert [t for t in types if t != "stream:complete"] == ["event:published", "run:start", "run:stop"]
    assert seen[-1]["run"]["result"] == "late"


def test_runs_wait_reconnects_until_terminal(hot: HotClient, platform: DevPlatform, connections: list[str]) -> None:
    event = hot.events.publish({"event_type": "nobody:listens", "event_data": {}})
    run_id = _insert_run(platform, event["event_id"], 1)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(run=hot.runs.wait(run_id, timeout=30)), daemon=True)
    thread.start()
    # The run ends only once the SDK is on its second watch (the first was cut at the cap).
    watch = f"/v1/runs/{run_id}/subscribe"
    wait_until(lambda: connections.count(watch) >= 2, CAP_S + 10, what="the SDK reconnecting its run watch")
    platform.db_execute("UPDATE hot.run SET status_id = 2, stop_time = now() WHERE run_id = %s", run_id)
    thread.join(15)
    assert result["run"]["status"] == "succeeded"
