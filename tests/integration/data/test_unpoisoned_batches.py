"""One row PostgreSQL cannot store fails alone: run writes and span COPYs against a real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import set_span_in_context

from services.core import model
from services.core.ids import new_id
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc
from services.executor.ingest_events import IngestEvents, SendRefused
from services.executor.trace_store import RunSpanStore
from services.executor.writer import RunWriter
from tests.support.stack import Stack


async def _event(stack: Stack) -> tuple[str, str]:
    event_id = await stack.sink.publish(stack.env_id, "data:probe", {"n": 1})
    (row,) = await stack.rows("SELECT stream_id::text FROM hot.event WHERE event_id = %s", event_id)
    return event_id, row["stream_id"]


def _run(stack: Stack, event_id: str, stream_id: str, fn_name: str = "::app::x/f") -> model.Run:
    return model.Run(run_id=new_id(), env_id=stack.env_id, stream_id=stream_id, run_type=model.RunType.EVENT,
                     status=model.RunStatus.RUNNING, start_time=datetime.now(UTC), event_id=event_id,
                     fn_name=fn_name)


async def _runs(stack: Stack, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await stack.rows("SELECT run_id::text, status_id, result FROM hot.run WHERE run_id = ANY(%s::uuid[])", ids)
    return {row["run_id"]: row for row in rows}


async def test_a_start_that_cannot_be_stored_fails_alone(stack: Stack) -> None:
    event_id, stream_id = await _event(stack)
    writer = RunWriter(stack.pool)
    runs = [_run(stack, event_id, stream_id) for _ in range(9)]
    poisoned = _run(stack, event_id, stream_id, fn_name="::app::x/f\x00")
    runs.insert(4, poisoned)
    outcomes = await asyncio.gather(*(writer.start(run, None) for run in runs), return_exceptions=True)
    failed = [run for run, outcome in zip(runs, outcomes, strict=True) if isinstance(outcome, BaseException)]
    assert failed == [poisoned]
    stored = await _runs(stack, [run.run_id for run in runs])
    assert set(stored) == {run.run_id for run in runs if run is not poisoned}


async def test_an_unstorable_result_fails_its_run_and_no_other(stack: Stack) -> None:
    event_id, stream_id = await _event(stack)
    writer = RunWriter(stack.pool)
    runs = [_run(stack, event_id, stream_id) for _ in range(100)]
    await asyncio.gather(*(writer.start(run, None) for run in runs))
    ends: list[tuple[model.RunStatus, Any, int | None]] = [
        (model.RunStatus.SUCCEEDED, {"i": i}, None) for i in range(len(runs))]
    ends[10] = (model.RunStatus.SUCCEEDED, {"text": "nul \x00 here"}, None)
    ends[20] = (model.RunStatus.FAILED, model.failure_result("lone \ud800 surrogate"), 1000)
    ends[30] = (model.RunStatus.SUCCEEDED, [1.0, float("nan")], None)
    ends[40] = (model.RunStatus.CANCELLED, model.cancellation_result("stop", {"k\x00": 1}), None)
    ends[50] = (model.RunStatus.FAILED, model.failure_result("retry later"), 10**300)  # the database refuses it
    stops = await asyncio.gather(*(writer.finish(run.run_id, status, result, delay)
                                   for run, (status, result, delay) in zip(runs, ends, strict=True)))
    assert all(stop is not None for stop in stops)
    stored = await _runs(stack, [run.run_id for run in runs])
    for index, run in enumerate(runs):
        row = stored[run.run_id]
        if index not in (10, 20, 30, 40, 50):
            assert (row["status_id"], row["result"]) == (model.RunStatus.SUCCEEDED, {"i": index})
    messages = {index: stored[runs[index].run_id]["result"]["$val"]["msg"] for index in (10, 20, 30, 40, 50)}
    assert messages[10] == ("the run's result cannot be stored: result.text contains a NUL character (\\u0000), "
                            "which cannot be stored")
    assert "result.$val.msg contains a lone surrogate (\\ud800)" in messages[20]
    assert "result[1] is nan (NaN or Infinity)" in messages[30]
    assert "result.$val.data has a key that contains a NUL character" in messages[40]
    assert messages[50].startswith("the run's result cannot be stored: the database refused it")
    assert stored[runs[40].run_id]["status_id"] == model.RunStatus.CANCELLED
    assert stored[runs[20].run_id]["status_id"] == model.RunStatus.PENDING_RETRY  # a failure keeps its retry
    for index in (10, 30, 50):
        assert stored[runs[index].run_id]["status_id"] == model.RunStatus.FAILED


async def test_spans_that_cannot_be_stored_are_dropped_and_counted(stack: Stack) -> None:
    event_id, stream_id = await _event(stack)
    writer = RunWriter(stack.pool)
    run = _run(stack, event_id, stream_id)
    await writer.start(run, None)
    store = RunSpanStore()
    provider = TracerProvider()
    provider.add_span_processor(store)
    tracer = provider.get_tracer("test")
    root = tracer.start_span("hot.run", attributes={"hot.run_id": run.run_id})
    with_root = set_span_in_context(root)
    bad: dict[int, dict[str, Any]] = {1: {"hot.args": "a\x00b"}, 2: {"hot.value": float("nan")},
                                      3: {"hot.args": "\udfff"}}
    for index in range(1, 300):
        span = tracer.start_span(f"::app/f{index}", context=with_root, attributes=bad.get(index, {"i": index}))
        span.end()
    poisoned_name = tracer.start_span("::app/\x00", context=with_root)
    poisoned_name.end()
    root.end()
    await store.flush(stack.pool)
    rows = await stack.rows("SELECT name FROM hot.trace_span WHERE run_id = %s", run.run_id)
    names = {row["name"] for row in rows}
    assert store.refused == 4
    assert len(names) == 300 - 3  # 299 children + the root, less the three with unstorable attributes
    assert "hot.run" in names and "::app/f1" not in names and "::app/f4" in names


@pytest.mark.parametrize(("data_json", "fragment"), [
    ('{"a": "\\u0000"}', "event_data.a contains a NUL character"),
    ('{"a": NaN}', "event_data.a is nan"),
    ('[' * 100 + ']' * 100, "nested deeper than 64 levels"),
    ('{"a": "\\ud800"}', "lone surrogate"),
])
async def test_ingest_refuses_what_it_cannot_store(stack: Stack, data_json: str, fragment: str) -> None:
    before = await stack.rows("SELECT count(*) AS n FROM hot.event")
    async with grpc.aio.insecure_channel(stack.ingest_addr) as channel:
        stub = pb_grpc.IngestStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.PublishEvent(pb.PublishEventRequest(env_id=stack.env_id, event_type="x",
                                                           event_data_json=data_json))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in (caught.value.details() or "")
    assert await stack.rows("SELECT count(*) AS n FROM hot.event") == before


async def test_a_run_sending_unstorable_data_is_refused_with_the_path(stack: Stack) -> None:
    _, stream_id = await _event(stack)
    before = await stack.rows("SELECT count(*) AS n FROM hot.event")
    events = IngestEvents(stack.ingest_addr)
    try:
        with pytest.raises(SendRefused, match=r"cannot send 'out': data.items\[1\] contains a NUL character"):
            await events.publish_from_run("out", {"items": ["ok", "no\x00"]}, stack.env_id, stream_id, new_id(), "")
        with pytest.raises(SendRefused, match="is longer than 256 characters"):
            await events.publish_from_run("t" * 300, {}, stack.env_id, stream_id, new_id(), "")
    finally:
        await events.close()
    assert await stack.rows("SELECT count(*) AS n FROM hot.event") == before
