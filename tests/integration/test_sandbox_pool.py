"""The sandbox worker pool with real worker processes: limits that hold, and a pool that survives them."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hotlang import Limits
from services.core.config import SandboxSettings
from services.sandbox.pool import LoadFailed, RunCall, RunResult, WorkerPool, run_limits

SOURCES = """
::t ns

plus fn (a, b) { add(a, b) }

spin fn () { spin() }

crunch fn (n) { pow(7, n) }

hog fn () {
  big range(0, 9000000)
  reduce(range(0, 60), (acc, i) { concat(acc, [map(big, (x) { add(x, i) })]) }, [])
}

env-of fn (name) { ::hot::env/get(name) }

talk fn () {
  print("hello ")
  println("from a run")
  "done"
}

chatty fn () { reduce(range(0, 500), (acc, i) { println(concat("line of output number ", i)) }, null) }

large fn (n) { pad-start("", n, "x") }

sender fn () { send("child:made", {n: 1}) }

sleeper fn () { sleep(60000) }
forks fn (n) { parallel { a forks(add(n, 1)) b forks(add(n, 1)) } }
"""
BUILD = "b-test"


class Effects:
    """Records what a run asked the parent to do."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, str]] = []
        self.streamed: list[tuple[str, Any]] = []
        self.span_records: list[dict[str, Any]] = []

    async def send(self, event_type: str, data: Any, traceparent: str) -> dict[str, Any]:
        self.sent.append((event_type, data, traceparent))
        return {"event": {"id": "e1", "type": event_type, "time": "now"}, "stream": {"id": "s"}, "env": {"id": "v"}}

    async def stream_data(self, data_type: str, payload: Any) -> None:
        self.streamed.append((data_type, payload))

    def spans(self, records: list[dict[str, Any]]) -> None:
        self.span_records.extend(records)


SETTINGS = SandboxSettings(workers=2, memory_mb=512, load_timeout_s=5.0, code_env={"GREETING": "hi"},
                           max_result_bytes=10_000, max_output_bytes=200,
                           run_max_int_digits=10**9)  # lets `crunch` be one long C-level pow the kill must stop


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    async def files_of(build_id: str) -> dict[str, str]:
        assert build_id == BUILD
        return {"t.hot": SOURCES}

    workers = WorkerPool(SETTINGS, files_of=files_of)
    await workers.start()
    try:
        yield workers
    finally:
        await workers.close()


async def call(pool: WorkerPool, fn: str, args: list[Any] | None = None, *, timeout_s: float = 5.0,
               effects: Effects | None = None, stop: asyncio.Event | None = None) -> RunResult:
    return await pool.run(RunCall(BUILD, fn, args or [], run_limits(pool.settings, timeout_s), {"run": {"id": "r"}}),
                          effects or Effects(), stop)


async def test_a_call_runs_in_a_worker_and_returns_its_value(pool: WorkerPool) -> None:
    result = await call(pool, "::t/plus", [2, 3])
    assert (result.status, result.value) == ("ok", 5)
    assert all(pid != os.getpid() for pid in pool.pids())


async def test_a_c_level_loop_is_killed_at_its_limit_and_the_next_run_succeeds(pool: WorkerPool) -> None:
    before = set(pool.pids())
    result = await call(pool, "::t/crunch", [900_000_000], timeout_s=1.0)
    assert (result.status, result.msg) == ("timeout", "Run timed out after 1 seconds")
    assert pool.replaced == 1
    after = await call(pool, "::t/plus", [1, 1])
    assert (after.status, after.value) == ("ok", 2)
    assert set(pool.pids()) != before


async def test_a_hot_loop_stops_at_its_time_limit(pool: WorkerPool) -> None:
    result = await call(pool, "::t/spin", timeout_s=0.5)
    assert (result.status, result.msg) == ("timeout", "Run timed out after 0.5 seconds")


async def test_a_memory_bomb_fails_naming_the_limit_and_the_worker_is_replaced(pool: WorkerPool) -> None:
    before = set(pool.pids())
    result = await call(pool, "::t/hog", timeout_s=30.0)
    assert result.status == "memory"
    assert result.msg == "Run exceeded the memory limit of 512 MB (HOT_WORKER_MEMORY_MB)"
    assert pool.replaced == 1
    assert (await call(pool, "::t/plus", [1, 2])).value == 3
    assert set(pool.pids()) != before


async def test_env_get_reads_only_allow_listed_variables(pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://secret@db/hot")  # in the parent's environment only
    assert (await call(pool, "::t/env-of", ["GREETING"])).value == "hi"
    assert (await call(pool, "::t/env-of", ["DATABASE_URL"])).value is None


async def test_the_worker_environment_holds_no_service_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://secret@db/hot")
    monkeypatch.setenv("NATS_URL", "nats://secret@nats")
    workers = WorkerPool(dataclasses.replace(SETTINGS, workers=1))
    await workers.start()
    try:
        (pid,) = workers.pids()
        with open(f"/proc/{pid}/environ", "rb") as environ:
            names = {item.split(b"=", 1)[0].decode() for item in environ.read().split(b"\0") if item}
    finally:
        await workers.close()
    assert "DATABASE_URL" not in names and "NATS_URL" not in names
    assert names <= {"PATH", "LANG", "PYTHONPATH", "MALLOC_ARENA_MAX", "PYTHONDONTWRITEBYTECODE", "GREETING"}


async def test_print_goes_to_the_run_output_not_the_log(pool: WorkerPool, caplog: pytest.LogCaptureFixture,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    with caplog.at_level(logging.DEBUG):
        result = await call(pool, "::t/talk")
    assert (result.value, result.output, result.output_truncated) == ("done", "hello from a run\n", False)
    assert "from a run" not in caplog.text
    captured = capfd.readouterr()
    assert "from a run" not in captured.out + captured.err


async def test_output_over_the_cap_is_truncated_with_a_marker(pool: WorkerPool) -> None:
    result = await call(pool, "::t/chatty")
    assert result.status == "ok" and result.output_truncated
    assert result.output.endswith("…[output truncated]\n")
    assert len(result.output.encode()) <= SETTINGS.max_output_bytes + 64


async def test_a_result_over_the_cap_fails_naming_it(pool: WorkerPool) -> None:
    assert (await call(pool, "::t/large", [100])).status == "ok"
    result = await call(pool, "::t/large", [20_000])
    assert result.status == "error"
    assert result.msg == "Run result is 20002 bytes, over the limit of 10000 bytes (HOT_MAX_RESULT_BYTES)"


async def test_send_crosses_the_pipe_to_the_parent(pool: WorkerPool) -> None:
    effects = Effects()
    result = await call(pool, "::t/sender", effects=effects)
    assert result.status == "ok" and result.value["event"]["type"] == "child:made"
    assert effects.sent == [("child:made", {"n": 1}, "")]


async def test_a_stop_request_ends_a_sleeping_run(pool: WorkerPool) -> None:
    stop = asyncio.Event()
    running = asyncio.ensure_future(call(pool, "::t/sleeper", timeout_s=60.0, stop=stop))
    stop.set()
    result = await asyncio.wait_for(running, 10)
    assert result.status == "aborted"
    assert (await call(pool, "::t/plus", [1, 1])).value == 2


async def test_concurrent_runs_keep_succeeding_while_one_worker_is_killed(pool: WorkerPool) -> None:
    runaway = asyncio.ensure_future(call(pool, "::t/crunch", [900_000_000], timeout_s=1.0))
    normal = [await call(pool, "::t/plus", [i, 1]) for i in range(20)]
    assert [(r.status, r.msg, r.value) for r in normal] == [("ok", "", i + 1) for i in range(20)]
    assert (await runaway).status == "timeout"
    assert [r.value for r in await asyncio.gather(*(call(pool, "::t/plus", [i, i]) for i in range(6)))] == \
        [2 * i for i in range(6)]


async def test_inspect_lists_functions_and_names_the_load_limit(pool: WorkerPool) -> None:
    functions = await pool.inspect("deploy:1", {"t.hot": SOURCES})
    assert "::t/plus" in {f.qualified for f in functions}
    with pytest.raises(LoadFailed, match=r"load time limit of 5 seconds \(HOT_LOAD_TIMEOUT\)"):
        await pool.inspect("deploy:2", {"loop.hot": "::l ns\nspin fn () { spin() }\nx spin()\n"})
    with pytest.raises(LoadFailed, match=r"bad.hot:1:\d+: error"):
        await pool.inspect("deploy:3", {"bad.hot": "fn ( {"})


def test_run_limits_carry_the_run_timeout_and_the_size_settings() -> None:
    assert run_limits(SETTINGS, 7.0) == Limits(max_seconds=7.0, max_int_digits=10**9)
    custom = SandboxSettings(run_max_bytes=2048, run_max_items=5000, run_max_int_digits=300, run_max_threads=2)
    assert run_limits(custom, 1.5) == Limits(max_seconds=1.5, max_items=5000, max_bytes=2048, max_int_digits=300,
                                             max_threads=2)


@pytest.mark.parametrize("traced", [False, True])
async def test_recursion_through_parallel_fails_naming_a_limit_and_the_pool_recovers(pool: WorkerPool,
                                                                                   traced: bool) -> None:
    # Unbounded recursion through `parallel`: threads up to max_threads, then inline branches; it ends
    # on the call depth, the memory limit, (traced, deeper C frames) the worker's stack, or on a slow
    # machine the time limit: whichever comes first, named.
    call_ = RunCall(BUILD, "::t/forks", [0], run_limits(pool.settings, 10.0), {"run": {"id": "r"}}, traced=traced,
                    trace_id="0" * 31 + "1" if traced else "", run_span_id="0" * 15 + "1" if traced else "")
    result = await pool.run(call_, Effects(), None)
    assert result.status in ("error", "memory", "died", "timeout"), result
    named = ("maximum call depth exceeded", "memory limit", "Run timed out after 10 seconds")
    assert any(limit in result.msg for limit in named), result.msg
    for _ in range(3):  # whichever worker answers next is healthy
        assert (await call(pool, "::t/plus", [20, 22])).value == 42
