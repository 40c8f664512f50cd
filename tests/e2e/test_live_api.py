"""Streams, run watches, the environment feed and the REST reads, through a real `hot dev`.

Acceptance scenarios 9, 13–18, 39 and 40 of platform-spec §10, raw on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import socket
import uuid
from collections.abc import Iterator

import httpx
import nats
import pytest

from services.core import subjects
from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running
from tests.support.sources import FAILING
from tests.support.sse import SseCapture, SseSubscription, parse_blocks, read_sse
from tests.support.waiting import wait_until, wait_until_async

CAP_S = 4
FRAME = re.compile(rb"(?:event: ([a-z:]+)\ndata: ([^\n]*)\n\n|:\n\n)")

@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"failing.hot": FAILING},
                      env={"HOT_SSE_MAX_SECONDS": str(CAP_S), "HOT_SSE_KEEPALIVE_SECONDS": "1",
                           "HOT_SSE_MAX_BACKLOG_BYTES": "262144"}) as dev:
        yield dev


def assert_exact_framing(raw: bytes) -> None:
    """Every byte belongs to `event: X\\ndata: {json with type X}\\n\\n` or a `:\\n\\n` keepalive."""
    assert b"\r" not in raw
    pos = 0
    for match in FRAME.finditer(raw):
        assert match.start() == pos, raw[pos:match.start() + 80]
        pos = match.end()
        if match.group(1):
            body = json.loads(match.group(2))
            assert body["type"] == match.group(1).decode()
    assert pos == len(raw), raw[pos:]


def test_subscribe_with_event_streams_chat_in_order(api: ApiClient) -> None:
    cap = read_sse(api, "POST", "/v1/streams/subscribe-with-event",
                   json={"event_type": "chat:message", "event_data": {"message": "one two three"}},
                   until=lambda evs: any(e["type"] == "run:stop" for e in evs))
    assert cap.status == 200
    assert cap.headers["content-type"] == "text/event-stream"
    assert cap.headers["cache-control"] == "no-cache"
    assert cap.headers["x-accel-buffering"] == "no"
    assert cap.types == ["event:published", "run:start", "stream:data", "stream:data", "stream:data", "run:stop"]
    published = cap.events[0]
    assert set(published) == {"type", "event_id", "stream_id", "event_type"}
    assert cap.events[1]["run"]["event_id"] == published["event_id"]
    chunks = cap.events[2:5]
    assert [c["payload"]["text"] for c in chunks] == ["one ", "two ", "three "]
    assert all(c["data_type"] == "ai:delta" and c["run_id"] == cap.events[1]["run"]["run_id"] for c in chunks)
    assert set(chunks[0]) == {"type", "stream_data_id", "run_id", "data_type", "payload"}
    stop = cap.events[5]["run"]
    assert stop["status"] == "succeeded" and stop["result"] == "one two three "
    assert_exact_framing(cap.raw)


def test_unknown_stream_is_a_json_404(api: ApiClient) -> None:
    for path in (f"/v1/streams/{uuid.uuid4()}/subscribe", "/v1/streams/not-a-uuid/subscribe"):
        resp = api.get(path)
        assert resp.status_code == 404
        assert resp.headers["content-type"].startswith("application/json")
        assert resp.json()["error"]["code"] == "not_found"
        assert resp.json()["error"]["message"] == "Stream not found"
    assert api.post(f"/v1/streams/{uuid.uuid4()}/subscribe").status_code == 404


def test_errors_before_streaming_are_envelopes(api: ApiClient) -> None:
    resp = api.post("/v1/streams/subscribe-with-event", json={"event_type": "hot:schedule:new", "event_data": {}})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    resp = api.post("/v1/streams/subscribe-with-event", json={"event_type": "x:y"})
    assert resp.status_code == 422
    event = api.publish("nobody:listens", {})
    resp = api.get(f"/v1/streams/{event['stream_id']}/subscribe", params={"project": "no-such-project"})
    assert resp.status_code == 404 and resp.json()["error"]["message"] == "Project not found"


def test_replay_of_a_finished_run_every_time(api: ApiClient) -> None:
    event = api.publish("chat:message", {"message": "a b"})
    api.settled_runs(event["event_id"])
    for _ in range(2):
        cap = read_sse(api, "GET", f"/v1/streams/{event['stream_id']}/subscribe",
                       until=lambda evs: len(evs) >= 2)
        assert cap.types == ["run:start", "run:stop"]
        assert cap.events[1]["run"]["result"] == "a b "


def test_project_filter(api: ApiClient, platform: DevPlatform) -> None:
    event = api.publish("chat:message", {"message": "p"})
    api.settled_runs(event["event_id"])
    path = f"/v1/streams/{event['stream_id']}/subscribe"
    cap = read_sse(api, "GET", path, params={"project": platform.state["project"]}, until=lambda evs: len(evs) >= 2)
    assert cap.types == ["run:start", "run:stop"]
    project_id = cap.events[0]["run"]["project_id"]
    cap = read_sse(api, "GET", path, params={"project": project_id}, until=lambda evs: len(evs) >= 2)
    assert cap.types == ["run:start", "run:stop"]


def test_two_events_on_one_stream_arrive_on_one_subscription(api: ApiClient) -> None:
    stream_id = str(uuid.uuid4())
    first = api.publish("chat:message", {"message": "first"}, stream_id=stream_id)
    assert first["stream_id"] == stream_id
    api.settled_runs(first["event_id"])
    with SseSubscription(api, "GET", f"/v1/streams/{stream_id}/subscribe",
                         until=lambda evs: sum(e["type"] == "run:stop" for e in evs) >= 2) as subscription:
        second = api.publish("chat:message", {"message": "second"}, stream_id=stream_id)
        assert second["stream_id"] == stream_id
        cap = subscription.result()
    assert cap.types == ["run:start", "run:stop", "run:start", "stream:data", "run:stop"]
    assert {cap.events[0]["run"]["event_id"], cap.events[2]["run"]["event_id"]} == {first["event_id"],
                                                                                    second["event_id"]}


def test_connection_cap_sends_stream_complete_and_keepalives(api: ApiClient) -> None:
    event = api.publish("nobody:listens", {})
    cap = read_sse(api, "GET", f"/v1/streams/{event['stream_id']}/subscribe", timeout=CAP_S + 5)
    assert cap.ended
    assert CAP_S - 0.5 <= cap.elapsed <= CAP_S + 2
    assert cap.types == ["stream:complete"]
    assert cap.events[0] == {"type": "stream:complete", "stream_id": event["stream_id"]}
    assert cap.raw.count(b":\n\n") >= 2  # keepalives at the configured 1 s while idle
    assert_exact_framing(cap.raw)
    assert parse_blocks(cap.raw)[-1][0] == "stream:complete"


def insert_run(platform: DevPlatform, like_run_id: str, status_id: int) -> str:
    run_id = str(uuid.uuid4())
    platform.db_execute("INSERT INTO hot.run (run_id, env_id, stream_id, build_id, project_id, run_type_id, "
                        "event_id, fn_name, status_id) SELECT %s, env_id, stream_id, build_id, project_id, "
                        "run_type_id, event_id, fn_name, %s FROM hot.run WHERE run_id = %s",
                        run_id, status_id, like_run_id)
    return run_id


def update_run(platform: DevPlatform, run_id: str, sql: str) -> None:
    platform.db_execute(f"UPDATE hot.run SET {sql} WHERE run_id = %s", run_id)


def statuses(cap: SseCapture) -> list[str]:
    return [e["run"]["status"] for e in cap.events]


def test_run_subscribe_on_finished_run_is_one_snapshot(api: ApiClient) -> None:
    event = api.publish("chat:message", {"message": "x"})
    run = api.settled_runs(event["event_id"])[0]
    cap = read_sse(api, "GET", f"/v1/runs/{run['run_id']}/subscribe")
    assert cap.ended
    assert cap.types == ["run:update"]
    assert cap.events[0]["run"] == api.get(f"/v1/runs/{run['run_id']}").json()["data"]
    assert api.get(f"/v1/runs/{uuid.uuid4()}/subscribe").status_code == 404


def test_run_subscribe_follows_changes_until_terminal(api: ApiClient, platform: DevPlatform) -> None:
    event = api.publish("chat:message", {"message": "x"})
    model_run = api.settled_runs(event["event_id"])[0]
    run_id = insert_run(platform, model_run["run_id"], 1)
    with SseSubscription(api, "GET", f"/v1/runs/{run_id}/subscribe") as subscription:
        # The watch sends every change it sees: move the run on only once the previous state arrived.
        # Keepalives come every second (HOT_SSE_KEEPALIVE_SECONDS) while nothing changes.
        subscription.wait_for(lambda cap: statuses(cap) == ["running"] and b": keepalive\n\n" in cap.raw,
                              what="the running snapshot and a keepalive")
        update_run(platform, run_id, "status_id = 5, stop_time = now(), next_retry_at = now() + interval '1 hour', "
                                     "result = '{\"$type\": \"::hot::run/Failure\", \"$val\": {\"msg\": \"m\"}}'")
        subscription.wait_for(lambda cap: statuses(cap) == ["running", "pending_retry"], what="pending_retry")
        update_run(platform, run_id, "status_id = 3, next_retry_at = NULL, retry_attempt = 1")
        cap = subscription.result()
    assert cap.ended
    assert [e["run"]["status"] for e in cap.events] == ["running", "pending_retry", "failed"]
    assert b": keepalive\n\n" in cap.raw
    assert "next_retry_at" in cap.events[1]["run"] and "next_retry_at" not in cap.events[2]["run"]


def test_pending_retry_replays_as_run_fail(api: ApiClient, platform: DevPlatform) -> None:
    event = api.publish("chat:message", {"message": "x"})
    model_run = api.settled_runs(event["event_id"])[0]
    run_id = insert_run(platform, model_run["run_id"], 5)
    update_run(platform, run_id, "stop_time = now(), start_time = now() + interval '1 second'")
    cap = read_sse(api, "GET", f"/v1/streams/{event['stream_id']}/subscribe", until=lambda evs: len(evs) >= 4)
    assert cap.types == ["run:start", "run:fail", "run:start", "run:stop"]
    assert cap.events[1]["run"]["run_id"] == run_id


def test_failed_run_is_run_fail_with_message(api: ApiClient) -> None:
    cap = read_sse(api, "POST", "/v1/streams/subscribe-with-event",
                   json={"event_type": "test:explode", "event_data": {}},
                   until=lambda evs: any(e["type"] == "run:fail" for e in evs))
    assert cap.types == ["event:published", "run:start", "run:fail"]
    assert cap.events[2]["run"]["result"]["$val"]["msg"] == "boom: nothing works"


def test_env_subscribe_sees_flat_lifecycle(api: ApiClient) -> None:
    with SseSubscription(api, "GET", "/v1/env/subscribe",
                         until=lambda evs: any(e["type"] == "run:stop" for e in evs)) as subscription:
        event = api.publish("chat:message", {"message": "env"})
        cap = subscription.result()
    start = next(e for e in cap.events if e["type"] == "run:start")
    stop = next(e for e in cap.events if e["type"] == "run:stop")
    for notice in (start, stop):
        assert notice["stream_id"] == event["stream_id"]
        assert notice["event_id"] == event["event_id"]
        assert notice["run_type"] == "event"
        assert notice["fn_name"] == "::shop::chat/handle-chat"
        assert "run" not in notice
    assert start["run_id"] == stop["run_id"]
    assert isinstance(stop["duration_ms"], int)


def test_run_stats_match_the_run_list(api: ApiClient) -> None:
    stats = api.get("/v1/runs/stats").json()["data"]
    assert set(stats) == {"total_runs", "running", "succeeded", "failed", "cancelled"}
    assert stats["total_runs"] == api.get("/v1/runs").json()["pagination"]["total"]
    for status in ("running", "succeeded", "failed", "cancelled"):
        assert stats[status] == api.get("/v1/runs", params={"status": status}).json()["pagination"]["total"]


def test_env_and_event_handlers(api: ApiClient, platform: DevPlatform) -> None:
    env = api.get("/v1/env").json()["data"]
    assert env["env_id"] == platform.state["env_id"] and env["active"] is True
    assert set(env) == {"env_id", "org_id", "name", "active"}
    page = api.get(f"/v1/projects/{platform.state['project']}/event-handlers").json()
    types = {(h["event_type"], h["ns"], h["var"]) for h in page["data"]}
    assert ("chat:message", "::shop::chat", "handle-chat") in types
    assert ("test:explode", "::tests::failing", "explode") in types
    assert page["pagination"]["total"] == len(page["data"])
    assert set(page["data"][0]) == {"event_handler_id", "build_id", "event_type", "ns", "var"}
    limited = api.get(f"/v1/projects/{platform.state['project']}/event-handlers", params={"limit": 1}).json()
    assert len(limited["data"]) == 1 and limited["pagination"]["has_more"] is True
    assert api.get("/v1/projects/nope/event-handlers").status_code == 404


def test_stream_listing_and_detail(api: ApiClient) -> None:
    cap = read_sse(api, "POST", "/v1/streams/subscribe-with-event",
                   json={"event_type": "test:explode", "event_data": {}},
                   until=lambda evs: any(e["type"] == "run:fail" for e in evs))
    stream_id = cap.events[0]["stream_id"]
    listing = api.get("/v1/streams", params={"limit": 500}).json()
    assert stream_id in {s["stream_id"] for s in listing["data"]}
    detail = api.get(f"/v1/streams/{stream_id}").json()["data"]
    assert detail["stream_id"] == stream_id
    assert [e["event_type"] for e in detail["events"]] == ["test:explode"]
    assert [r["status"] for r in detail["runs"]] == ["failed"]
    assert detail["last_error"] == "boom: nothing works"
    assert detail["total_events"] == 1
    assert detail["live"]["messages_sent"] >= 3 and detail["live"]["bytes_sent"] > 0
    assert isinstance(detail["duration_ms"], int)
    assert api.get(f"/v1/streams/{uuid.uuid4()}").status_code == 404


def data_seen(cap: SseCapture) -> list[int]:
    return [e["payload"]["i"] for e in cap.events if e["type"] == "stream:data"]


def test_live_data_without_gaps_or_duplicates_and_slow_client_dropped(api: ApiClient,
                                                                      platform: DevPlatform) -> None:
    """Many readers and one reader that never reads: every reader gets every message once,
    in order; the stalled one is dropped (the gateway's backlog bound is 256 KiB here)."""
    event = api.publish("nobody:listens", {})
    stream_id, env_id = event["stream_id"], platform.state["env_id"]
    total, readers, burst = 300, 4, 5
    path = f"/v1/streams/{stream_id}/subscribe"
    url = httpx.URL(platform.state["gateway_url"])
    with contextlib.ExitStack() as opened:
        subscriptions = [opened.enter_context(SseSubscription(
            api, "GET", path, until=lambda evs: sum(e["type"] == "stream:data" for e in evs) >= total))
            for _ in range(readers)]
        opened.enter_context(_open_stalled_subscriber(url.host, url.port or 80, platform.state["api_key"], path))

        async def produce() -> None:
            nc = await nats.connect(platform.state["nats_url"])
            pad = "x" * 20_000
            for i in range(total):
                body = {"type": "stream:data", "stream_data_id": str(i), "run_id": "r", "env_id": env_id,
                        "stream_id": stream_id, "data_type": "t", "payload": {"i": i, "pad": pad}}
                await nc.publish(subjects.live_subject(env_id, stream_id), json.dumps(body).encode())
                if i % burst == burst - 1:
                    # Flow control instead of pacing: the next burst (~100 KB) goes out once every
                    # reading client has the previous one, so readers that read stay far below the
                    # backlog bound on any machine, while the stalled one exceeds it.
                    await nc.flush()
                    await wait_until_async(functools.partial(_all_have, subscriptions, i + 1), 10,
                                           interval=0.002, what=f"every reader at message {i}")
            await nc.drain()

        asyncio.run(produce())
        caps = [subscription.result() for subscription in subscriptions]
        for cap in caps:
            assert data_seen(cap) == list(range(total))
        wait_until(lambda: "dropping SSE client" in platform.log(), 5, what="the stalled client dropped")


async def _all_have(subscriptions: list[SseSubscription], count: int) -> bool:
    return all(len(data_seen(s.capture)) >= count for s in subscriptions)


@contextlib.contextmanager
def _open_stalled_subscriber(host: str, port: int, token: str, path: str) -> Iterator[socket.socket]:
    """A subscriber that reads the response headers (it is live from then on) and nothing more."""
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                     f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1024)
            assert chunk, f"the gateway closed the stalled subscription: {head!r}"
            head += chunk
        assert head.startswith(b"HTTP/1.1 200"), head
        yield sock
