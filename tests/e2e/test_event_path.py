"""End to end through real processes: gateway → ingest → JetStream → executor → PostgreSQL."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running
from tests.support.sources import FAILING
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"failing.hot": FAILING}) as dev:
        yield dev


def test_status_is_public(platform: DevPlatform) -> None:
    with platform.client(token=None) as anon:
        body = anon.get("/status").json()
    assert body["status"] == "ok"
    assert body["service"] == "hot.dev api server"
    assert {"version", "git_sha", "start_time"} <= body.keys()


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer"])
def test_v1_requires_a_valid_api_key(platform: DevPlatform, header: str | None) -> None:
    with platform.client(token=None) as client:
        resp = client.get("/v1/runs", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_order_created_runs_every_matching_handler(api: ApiClient) -> None:
    resp = api.post("/v1/events", json={"event_type": "order:created", "event_data": {"order_id": "o-1"}})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    event = body["data"]
    assert event["event_type"] == "order:created"
    assert event["event_data"] == {"order_id": "o-1"}
    assert uuid.UUID(event["stream_id"]).version == 7
    assert uuid.UUID(event["event_id"]).version == 7
    assert {"event_time", "created_at", "env_id"} <= event.keys()
    assert {"request_id", "timestamp"} <= body["meta"].keys()

    runs = api.settled_runs(event["event_id"], 2)
    page = api.get(f"/v1/events/{event['event_id']}/runs").json()
    assert page["pagination"]["total"] == 2
    assert len(runs) == 2
    for run in runs:
        assert run["status"] == "succeeded", run
        assert run["run_type"] == "event"
        assert run["event_id"] == event["event_id"]
        assert run["stream_id"] == event["stream_id"]
        assert run["retry_attempt"] == 0
        assert run["origin_run_id"] is None
        assert run["stop_time"] is not None
        assert run["project_name"] == "project"
    results = sorted((r["result"] for r in runs), key=lambda r: sorted(r))
    assert {"order_id": "o-1", "status": "processed"} in results
    assert {"audited": "order:created", "order": "o-1", "note": "order o-1 seen"} in results

    one = api.get(f"/v1/runs/{runs[0]['run_id']}").json()["data"]
    assert one == runs[0]


def test_unhandled_event_is_stored_with_no_runs(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("nobody:listens", {})
    platform.wait_events_completed(event["event_id"])  # the executor is done with it: no run will come
    assert api.get(f"/v1/events/{event['event_id']}").json()["data"]["event_type"] == "nobody:listens"
    runs = api.get(f"/v1/events/{event['event_id']}/runs").json()
    assert runs["data"] == [] and runs["pagination"]["total"] == 0
    assert platform.db_count("SELECT count(*) FROM hot.event WHERE event_id = %s AND NOT handled",
                             event["event_id"]) == 1


def test_failing_handler_records_failure_and_executor_keeps_serving(api: ApiClient) -> None:
    event = api.publish("test:explode", {"n": 1})
    (run,) = api.settled_runs(event["event_id"], 1)
    assert run["status"] == "failed"
    assert run["result"] == {"$type": "::hot::run/Failure", "$val": {"msg": "boom: nothing works",
                                                                      "err": {"code": 42}}}
    native = api.publish("test:native", {})
    (run,) = api.settled_runs(native["event_id"], 1)
    assert run["status"] == "failed"
    assert run["result"]["$type"] == "::hot::run/Failure"
    assert run["result"]["$val"]["msg"]  # a readable message, not empty
    assert "Traceback" not in run["result"]["$val"]["msg"]
    after = api.publish("order:created", {"order_id": "o-3"})
    assert all(r["status"] == "succeeded" for r in api.settled_runs(after["event_id"], 2))


def test_hot_call_runs_the_function(api: ApiClient) -> None:
    event = api.publish("hot:call", {"fn": "::shop::math/sum", "args": [2, 3]})
    (run,) = api.settled_runs(event["event_id"], 1)
    assert run["run_type"] == "call"
    assert run["status"] == "succeeded"
    assert run["result"] == 5


def test_hot_call_of_unknown_function_fails_instead_of_hanging(api: ApiClient) -> None:
    event = api.publish("hot:call", {"fn": "::shop::math/nope", "args": []})
    (run,) = api.settled_runs(event["event_id"], 1)
    assert run["status"] == "failed"
    assert "not found" in run["result"]["$val"]["msg"]


def test_send_from_a_run_emits_a_child_event_on_the_same_stream(platform: DevPlatform, api: ApiClient) -> None:
    event = api.publish("user:signup", {"id": "u1", "email": "ada@example.com", "name": "Ada"})
    (signup_run,) = api.settled_runs(event["event_id"], 1)
    assert signup_run["status"] == "succeeded", signup_run
    assert signup_run["result"] == {"id": "u1", "email": "ada@example.com", "name": "Ada"}
    rows = platform.db_rows("SELECT event_id::text, stream_id::text, event_data FROM hot.event "
                            "WHERE source_run_id = %s", signup_run["run_id"])
    assert rows, "the child event was not persisted"
    ((child_id, child_stream, child_data),) = rows
    assert child_stream == event["stream_id"]
    assert child_data == {"id": "u1", "email": "ada@example.com", "name": "Ada"}
    (welcome,) = api.settled_runs(child_id, 1)
    assert welcome["status"] == "succeeded"
    assert welcome["result"] == "welcome email queued for ada@example.com"
    assert welcome["stream_id"] == event["stream_id"]


def test_explicit_stream_id_is_kept_and_shared(api: ApiClient) -> None:
    stream_id = str(uuid.uuid4())
    first = api.publish("nobody:listens", {"i": 1}, stream_id=stream_id)
    second = api.publish("nobody:listens", {"i": 2}, stream_id=stream_id)
    assert first["stream_id"] == second["stream_id"] == stream_id


def test_run_listing_filters_and_pagination(api: ApiClient) -> None:
    event = api.publish("order:created", {"order_id": "o-4"})
    api.settled_runs(event["event_id"], 2)
    page = api.get("/v1/runs", params={"limit": 1000}).json()
    assert page["pagination"]["limit"] == 500
    total = page["pagination"]["total"]
    assert total >= 2
    first = api.get("/v1/runs", params={"limit": 1, "offset": 0}).json()
    assert len(first["data"]) == 1 and first["pagination"]["has_more"] is True
    last = api.get("/v1/runs", params={"limit": 1, "offset": total - 1}).json()
    assert last["pagination"]["has_more"] is False
    failed = api.get("/v1/runs", params={"status": "failed", "type": "event", "limit": 500}).json()["data"]
    assert all(r["status"] == "failed" and r["run_type"] == "event" for r in failed)
    starts = [r["start_time"] for r in page["data"]]
    assert starts == sorted(starts, reverse=True)
    assert api.get("/v1/runs", params={"time_range": "P1D"}).json()["pagination"]["total"] == total
    assert api.get("/v1/runs", params={"time_range": "all"}).json()["pagination"]["total"] == total
    events = api.get("/v1/events", params={"limit": 2}).json()
    assert len(events["data"]) == 2 and events["pagination"]["limit"] == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_request"),
        (b"[1, 2]", 400, "bad_request"),
        (b'{"event_data": {}}', 422, "unprocessable_entity"),
        (b'{"event_type": "x:y"}', 422, "unprocessable_entity"),
        (b'{"event_type": 7, "event_data": {}}', 422, "unprocessable_entity"),
        (b'{"event_type": "x:y", "event_data": {}, "stream_id": "not-a-uuid"}', 422, "unprocessable_entity"),
        (b'{"event_type": "hot:schedule:new", "event_data": {}}', 403, "forbidden"),
    ],
)
def test_bad_publish_requests_are_rejected_and_store_nothing(
    platform: DevPlatform, api: ApiClient, body: bytes, status: int, code: str
) -> None:
    before = platform.db_count("SELECT count(*) FROM hot.event")
    resp = api.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["message"] and uuid.UUID(error["request_id"])
    assert platform.db_count("SELECT count(*) FROM hot.event") == before


@pytest.mark.parametrize("path", ["/v1/events/not-a-uuid", "/v1/events/123/runs", "/v1/runs/zzz",
                                  f"/v1/runs/{uuid.uuid4()}", f"/v1/events/{uuid.uuid4()}"])
def test_unknown_or_malformed_ids_are_404(api: ApiClient, path: str) -> None:
    resp = api.get(path)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", [{"limit": "ten"}, {"offset": "-1"}, {"status": "done"}, {"type": "task"},
                                   {"time_range": "yesterday"}])
def test_bad_list_parameters_are_400(api: ApiClient, query: dict[str, str]) -> None:
    resp = api.get("/v1/runs", params=query)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "bad_request"


def test_editing_a_file_redeploys(platform: DevPlatform, api: ApiClient) -> None:
    (platform.project / "late.hot").write_text(
        '::tests::late ns\n\non-late\nmeta {on-event: "late:arrival"}\nfn (event) {\n  "deployed on change"\n}\n')

    def handled() -> list[dict[str, Any]] | None:
        # Until the redeploy lands an event finds no handler; once the executor has completed it,
        # every run it caused exists, so an empty list means "not yet deployed".
        event = api.publish("late:arrival", {})
        platform.wait_events_completed(event["event_id"])
        return api.runs_of(event["event_id"]) or None

    (run,) = wait_until(handled, timeout=20, interval=0.2, what="the edited file deployed")
    assert run["status"] == "succeeded" and run["result"] == "deployed on change"


def test_supervisor_restarts_a_killed_service(platform: DevPlatform, api: ApiClient) -> None:
    old_pid = platform.reload_state()["pids"]["executor"]
    os.kill(old_pid, signal.SIGKILL)
    new_pid = wait_until(lambda: (p := platform.reload_state()["pids"]["executor"]) != old_pid and p, timeout=20)
    assert new_pid != old_pid
    event = api.publish("order:created", {"order_id": "after-restart"})
    runs = api.settled_runs(event["event_id"], 2, timeout=30)
    assert all(r["status"] == "succeeded" for r in runs)


def test_official_sdk_publishes_and_reads(platform: DevPlatform) -> None:
    from hot import HotApiError, HotClient

    with HotClient(token=platform.state["api_key"], base_url=platform.state["gateway_url"]) as client:
        event = client.events.publish({"event_type": "order:created", "event_data": {"order_id": "sdk-1"}})
        assert event["event_type"] == "order:created"
        assert client.events.get(event["event_id"])["event_data"] == {"order_id": "sdk-1"}

        def two_done() -> list[dict[str, Any]] | None:
            runs: list[dict[str, Any]] = client.events.get_runs(event["event_id"])["data"]
            return runs if len(runs) == 2 and all(r["status"] == "succeeded" for r in runs) else None

        runs = wait_until(two_done, timeout=15)
        assert client.runs.get(runs[0]["run_id"])["run_id"] == runs[0]["run_id"]
        assert client.runs.list(limit=1)["pagination"]["limit"] == 1
        try:
            client.runs.get(str(uuid.uuid4()))
        except HotApiError as err:
            assert err.status_code == 404 and err.code == "not_found"
        else:
            raise AssertionError("expected a 404")


async def test_stream_data_and_lifecycle_reach_the_live_subject(platform: DevPlatform) -> None:
    import asyncio
    import json

    import nats

    from services.core import subjects

    nc = await nats.connect(platform.state["nats_url"])
    received: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def on_message(msg: Any) -> None:
        body = json.loads(msg.data)
        received.append(body)
        if body["type"] in ("run:stop", "run:fail"):
            done.set()

    try:
        await nc.subscribe(subjects.env_live_subject(platform.state["env_id"]), cb=on_message)
        await nc.flush()
        async with httpx.AsyncClient(base_url=platform.state["gateway_url"],
                                     headers={"Authorization": f"Bearer {platform.state['api_key']}"}) as api:
            resp = await api.post("/v1/events", json={"event_type": "chat:message",
                                                      "event_data": {"message": "hello streaming world"}})
        stream_id = resp.json()["data"]["stream_id"]
        await asyncio.wait_for(done.wait(), 15)
    finally:
        await nc.close()
    mine = [m for m in received if m["stream_id"] == stream_id]
    kinds = [m["type"] for m in mine]
    assert kinds == ["run:start", "stream:data", "stream:data", "stream:data", "run:stop"], kinds
    chunks = [m["payload"]["text"] for m in mine if m["type"] == "stream:data"]
    assert chunks == ["hello ", "streaming ", "world "]
    assert all(m["data_type"] == "ai:delta" for m in mine if m["type"] == "stream:data")


def test_deploying_broken_code_is_rejected_with_position_and_keeps_the_old_build(
    platform: DevPlatform, api: ApiClient
) -> None:
    import grpc

    from services.core.errors import Unprocessable
    from services.core.grpcio import error_from_rpc
    from services.core.pb import hot_ingest_pb2 as pb
    from services.core.pb import hot_ingest_pb2_grpc as pb_grpc

    broken = "::broken ns\n\nf fn (x) {\n  {a: 1\n}\n"
    request = pb.DeployBuildRequest(env_id=platform.state["env_id"], project_name=platform.state["project"],
                                    files=[pb.SourceFile(path="broken.hot", content=broken)])
    with grpc.insecure_channel(platform.state["grpc"]["ingest"]) as channel:
        try:
            pb_grpc.IngestStub(channel).DeployBuild(request, timeout=10)
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
            mapped = error_from_rpc(exc)
            assert isinstance(mapped, Unprocessable)
            assert "broken.hot:" in mapped.message and "^" in mapped.message
        else:
            raise AssertionError("a broken build must be rejected")
    event = api.publish("order:created", {"order_id": "still-deployed"})
    assert all(r["status"] == "succeeded" for r in api.settled_runs(event["event_id"], 2))
