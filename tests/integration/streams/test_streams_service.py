"""The Streams gRPC service in-process, over real NATS and PostgreSQL (no executor).

Runs are written to PostgreSQL and announced on core NATS the way the executor does,
so the hand-over between replay and live delivery can be raced on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import nats
import psycopg
import pytest
import pytest_asyncio

from services.core import db, subjects
from services.core.ids import new_id
from services.core.pb import hot_streams_pb2 as pb
from services.core.pb import hot_streams_pb2_grpc as pb_grpc
from services.ingest.streams.hub import LiveHub
from services.ingest.streams.servicer import StreamsServicer
from tests.support.stack import dev_environment


class StreamsStack:
    """The Streams servicer over the session's PostgreSQL and NATS, with helpers that write runs and ping."""

    def __init__(self, dsn: str, nc: Any, stub: Any, env_id: str) -> None:
        self.dsn, self.nc, self.stub, self.env_id = dsn, nc, stub, env_id

    def new_stream(self) -> str:
        stream_id = new_id()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO hot.stream (stream_id, env_id) VALUES (%s, %s)", (stream_id, self.env_id))
        return stream_id

    async def start_run(self, stream_id: str, *, announce: bool = True) -> str:
        run_id = new_id()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO hot.run (run_id, env_id, stream_id, run_type_id) VALUES (%s, %s, %s, 2)",
                         (run_id, self.env_id, stream_id))
        if announce:
            await self.ping("run:start", run_id, stream_id)
        return run_id

    async def finish_run(self, stream_id: str, run_id: str, status_id: int = 2, *, announce: bool = True) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("UPDATE hot.run SET status_id = %s, stop_time = now(), result = '1' WHERE run_id = %s",
                         (status_id, run_id))
        if announce:
            await self.ping({2: "run:stop", 3: "run:fail", 4: "run:cancel", 5: "run:fail"}[status_id], run_id,
                            stream_id)

    async def ping(self, kind: str, run_id: str, stream_id: str) -> None:
        body = {"type": kind, "run_id": run_id, "stream_id": stream_id, "env_id": self.env_id}
        await self.nc.publish(subjects.live_subject(self.env_id, stream_id), json.dumps(body).encode())

    async def data(self, stream_id: str, run_id: str, i: int) -> None:
        body = {"type": "stream:data", "stream_data_id": str(i), "run_id": run_id, "env_id": self.env_id,
                "stream_id": stream_id, "data_type": "t", "payload": {"i": i}}
        await self.nc.publish(subjects.live_subject(self.env_id, stream_id), json.dumps(body).encode())


@pytest_asyncio.fixture(scope="module")
async def streams(nats_url: str, pg_dsn: str) -> AsyncIterator[StreamsStack]:
    await asyncio.to_thread(db.migrate, pg_dsn)
    env_id, _ = await asyncio.to_thread(dev_environment, pg_dsn, env_name="streams-test")
    pool = await db.open_pool(pg_dsn)
    nc = await nats.connect(nats_url)
    server = grpc.aio.server()
    pb_grpc.add_StreamsServicer_to_server(StreamsServicer(pool, LiveHub(nc, pool)), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield StreamsStack(pg_dsn, nc, pb_grpc.StreamsStub(channel), env_id)
    finally:
        await channel.close()
        await server.stop(0)
        await nc.drain()
        await pool.close()


async def collect(call: Any, count: int, timeout: float = 5.0) -> list[Any]:
    out: list[Any] = []

    async def read() -> None:
        async for msg in call:
            out.append(msg)
            if len(out) >= count:
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), timeout)
    return out


def kinds(messages: list[Any]) -> list[str]:
    return [m.kind for m in messages]


async def test_replay_then_live(streams: StreamsStack) -> None:
    stream_id = streams.new_stream()
    older = await streams.start_run(stream_id, announce=False)
    await streams.finish_run(stream_id, older, 3, announce=False)
    running = await streams.start_run(stream_id, announce=False)
    call = streams.stub.SubscribeStream(pb.SubscribeStreamRequest(env_id=streams.env_id, stream_id=stream_id))
    first = await collect(call, 4)
    # newest first: the running run's start, then the older run's start and end
    assert kinds(first) == ["run:start", "run:start", "run:fail", "replay:done"]
    assert [m.run.run_id for m in first[:3]] == [running, older, older]
    await streams.data(stream_id, running, 1)
    await streams.finish_run(stream_id, running)
    rest = await collect(call, 2)
    assert kinds(rest) == ["stream:data", "run:stop"]
    assert rest[1].run.result_json == "1"
    call.cancel()


async def test_no_gap_no_duplicate_across_the_hand_over(streams: StreamsStack) -> None:
    """Runs start and end while many subscriptions are being set up: each subscription sees
    every run's start and end exactly once."""
    stream_id = streams.new_stream()
    calls = []
    run_ids = []
    for _ in range(10):
        calls.append(streams.stub.SubscribeStream(pb.SubscribeStreamRequest(env_id=streams.env_id,
                                                                          stream_id=stream_id)))
        run_id = await streams.start_run(stream_id)
        await streams.finish_run(stream_id, run_id)
        run_ids.append(run_id)
    for call in calls:
        msgs = [m for m in await collect(call, 1 + 2 * len(run_ids), timeout=4) if m.kind != "replay:done"]
        starts = [m.run.run_id for m in msgs if m.kind == "run:start"]
        stops = [m.run.run_id for m in msgs if m.kind == "run:stop"]
        assert sorted(starts) == sorted(run_ids) and sorted(stops) == sorted(run_ids)
        call.cancel()


async def test_lost_ping_is_recovered_by_the_poll(streams: StreamsStack) -> None:
    stream_id = streams.new_stream()
    call = streams.stub.SubscribeStream(pb.SubscribeStreamRequest(env_id=streams.env_id, stream_id=stream_id))
    assert kinds(await collect(call, 1)) == ["replay:done"]
    run_id = await streams.start_run(stream_id, announce=False)
    await streams.finish_run(stream_id, run_id, 4, announce=False)
    msgs = await collect(call, 2, timeout=5)
    assert kinds(msgs) == ["run:start", "run:cancel"]
    call.cancel()


async def test_unknown_stream_and_project(streams: StreamsStack) -> None:
    call = streams.stub.SubscribeStream(pb.SubscribeStreamRequest(env_id=streams.env_id, stream_id=new_id()))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(call, 1)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND and info.value.details() == "Stream not found"
    call = streams.stub.SubscribeStream(pb.SubscribeStreamRequest(env_id=streams.env_id, stream_id=streams.new_stream(),
                                                                project="nope"))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(call, 1)
    assert info.value.details() == "Project not found"


async def test_watch_run(streams: StreamsStack) -> None:
    stream_id = streams.new_stream()
    run_id = await streams.start_run(stream_id, announce=False)
    call = streams.stub.WatchRun(pb.WatchRunRequest(env_id=streams.env_id, run_id=run_id))
    first = await collect(call, 1)
    assert first[0].status == 1
    await streams.finish_run(stream_id, run_id, 2, announce=False)
    rest = await collect(call, 5, timeout=3)
    assert [r.status for r in rest] == [2]


async def test_env_feed(streams: StreamsStack) -> None:
    stream_id = streams.new_stream()
    call = streams.stub.SubscribeEnv(pb.SubscribeEnvRequest(env_id=streams.env_id))
    assert kinds(await collect(call, 1)) == ["replay:done"]
    run_id = await streams.start_run(stream_id)
    await streams.finish_run(stream_id, run_id, 3)
    notices = await collect(call, 2)
    assert kinds(notices) == ["run:start", "run:fail"]
    fail = json.loads(notices[1].payload_json)
    assert fail["run_id"] == run_id and fail["type"] == "run:fail" and "duration_ms" in fail and "error" in fail
    call.cancel()
