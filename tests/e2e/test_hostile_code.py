"""Hostile code cannot hurt the platform (issue 10's acceptance suite).

One platform serves a steady stream of normal events the whole time. Each hostile handler
is sent one event; its run must fail within its limit with a message naming the limit,
while the executor's consumer process and ingest stay up, every normal event succeeds
exactly once, and the executor's memory (its own process and its worker processes)
stays under the configured bound.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import psutil
import pytest

from services.core.clients import IngestClient
from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running

WORKER_MEMORY_MB = 256
WORKERS = 3
LOAD_TIMEOUT_S = 2
EXECUTOR_BUDGET_MB = 400
"""What the executor's own process may use (it never runs user code)."""

HOSTILE = """
::hostile::code ns

steady
meta {on-event: "steady:tick"}
fn (event) {
  event.data.n
}

deeper fn (n) { add(1, deeper(add(n, 1))) }
spin fn (n) { spin(add(n, 1)) }
squares fn (x) { squares(mul(x, x)) }
amplify fn (s) { amplify(replace(s, "", "ab")) }
doubles fn (s) { doubles(concat(s, s)) }
forks fn (n) { parallel { a forks(add(n, 1)) b forks(add(n, 1)) } }

recursion
meta {on-event: "bad:recursion", timeout: 20}
fn (event) { deeper(0) }

infinite
meta {on-event: "bad:loop", timeout: 2}
fn (event) { spin(0) }

pow-bomb
meta {on-event: "bad:pow", timeout: 20}
fn (event) { pow(7, 1000000000) }

mul-bomb
meta {on-event: "bad:mul", timeout: 20}
fn (event) { squares(1000000007) }

replace-bomb
meta {on-event: "bad:replace", timeout: 20}
fn (event) { amplify("seed") }

concat-bomb
meta {on-event: "bad:concat", timeout: 20}
fn (event) { doubles("0123456789abcdef") }

huge-range
meta {on-event: "bad:range", timeout: 20}
fn (event) { range(100000000000) }

from-int-bomb
meta {on-event: "bad:from-int", timeout: 20}
fn (event) { ::hot::bytes/from-int(1, 100000000000) }

parallel-bomb
meta {on-event: "bad:parallel", timeout: 5}
fn (event) { forks(0) }

pmap-bomb
meta {on-event: "bad:pmap", timeout: 5}
fn (event) { pmap(range(100000), (x) { pmap(range(100000), (y) { spin(y) }) }) }

big-stream
meta {on-event: "bad:stream", timeout: 20}
fn (event) { ::hot::stream/data("chunk", pad-start("x", 5000000)) }

caught-timeout
meta {on-event: "bad:caught", timeout: 2}
fn (event) {
  is-err(match event.data { {go: true} => spin(0) _ => 1 })
}

secrets
meta {on-event: "bad:env"}
fn (event) { {db: ::hot::env/get("DATABASE_URL"), nats: ::hot::env/get("NATS_URL"), path: ::hot::env/get("PATH")} }

nul-result
meta {on-event: "bad:nul"}
fn (event) {
  cond {
    eq(event.data.i, 50) => { "poison \\0 here" }
    => { event.data.i }
  }
}
"""

LOOPING_DEPLOY = """
::hostile::deploy ns

spin fn (n) { spin(add(n, 1)) }

forever spin(0)
"""

# (event type, data, expected failure message pattern)
CASES: list[tuple[str, Any, str]] = [
    ("bad:recursion", {}, r"maximum call depth|memory limit|timed out after 20 seconds"),
    ("bad:loop", {}, r"timed out after 2 seconds"),
    ("bad:pow", {}, r"max_int_digits"),
    ("bad:mul", {}, r"max_int_digits"),
    ("bad:replace", {}, r"max_bytes"),
    ("bad:concat", {}, r"max_bytes|memory limit of 256 MB"),
    ("bad:range", {}, r"max_items"),
    ("bad:from-int", {}, r"max_bytes"),
    ("bad:parallel", {}, r"maximum call depth|memory limit of 256 MB|timed out after 5 seconds"),
    ("bad:pmap", {}, r"maximum call depth|memory limit of 256 MB|timed out after 5 seconds"),
    ("bad:stream", {}, r"stream data payload is \d+ bytes, over the limit of 1000000 bytes"),
    ("bad:caught", {"go": True}, r"timed out after 2 seconds"),
]


class Steady:
    """Publishes normal events at a steady pace on its own thread until stopped."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.event_ids: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stop.wait(0.05):  # a pace, not a wait for a condition
            self.event_ids.append(self.api.publish("steady:tick", {"n": n})["event_id"])
            n += 1


class MemoryWatch:
    """Samples the executor's RSS and its workers' RSS on its own thread; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak_executor = 0
        self.peak_worker = 0
        self.workers_seen: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            try:
                self.peak_executor = max(self.peak_executor, self.process.memory_info().rss)
                for child in self.process.children(recursive=True):
                    try:
                        self.peak_worker = max(self.peak_worker, child.memory_info().rss)
                        self.workers_seen.add(child.pid)
                    except psutil.NoSuchProcess:
                        continue
            except psutil.NoSuchProcess:
                return


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    env = {"HOT_EXECUTOR_WORKERS": str(WORKERS), "HOT_WORKER_MEMORY_MB": str(WORKER_MEMORY_MB),
           "HOT_LOAD_TIMEOUT": str(LOAD_TIMEOUT_S), "HOT_MAX_STREAM_PAYLOAD_BYTES": "1000000",
           "HOT_EXECUTOR_CONCURRENCY": "8"}
    with running({"hostile.hot": HOSTILE}, include_examples=False, env=env) as dev:
        yield dev


def _failure(run: dict[str, Any]) -> str:
    result = run.get("result") or {}
    inner = result.get("$val") if isinstance(result, dict) else None
    return str(inner.get("msg") if isinstance(inner, dict) else result)


def _executor_pid(platform: DevPlatform) -> int:
    pids = platform.reload_state()["pids"]
    (pid,) = [p for name, p in pids.items() if name.startswith("executor")]
    return int(pid)


def test_hostile_code_fails_alone(platform: DevPlatform, api: ApiClient) -> None:
    executor_pid = _executor_pid(platform)
    memory = MemoryWatch(executor_pid)
    memory.thread.start()
    steady = Steady(platform.client())
    steady.thread.start()
    try:
        hostile = [(kind, pattern, api.publish(kind, data)["event_id"]) for kind, data, pattern in CASES]
        env_event = api.publish("bad:env", {})["event_id"]
        nul_events = [api.publish("bad:nul", {"i": i})["event_id"] for i in range(100)]

        for kind, pattern, event_id in hostile:
            (run,) = api.settled_runs(event_id, timeout=60)
            assert run["status"] == "failed", (kind, run)
            assert re.search(pattern, _failure(run), re.IGNORECASE), (kind, _failure(run))

        (env_run,) = api.settled_runs(env_event, timeout=30)
        assert env_run["status"] == "succeeded", env_run
        assert env_run["result"] == {"db": None, "nats": None, "path": None}

        statuses = {}
        for i, event_id in enumerate(nul_events):
            (run,) = api.settled_runs(event_id, timeout=60)
            statuses[i] = run
        assert statuses.pop(50)["status"] == "failed"
        assert all(run["status"] == "succeeded" and run["result"] == i for i, run in statuses.items())
    finally:
        steady.stop.set()
        steady.thread.join()
        memory.stop.set()
        memory.thread.join()

    # The consumer process never died: the same executor pid served everything.
    assert _executor_pid(platform) == executor_pid and psutil.pid_exists(executor_pid)
    assert steady.event_ids, "the steady stream published nothing"
    platform.wait_events_completed(*steady.event_ids, timeout=60)
    rows = platform.db_rows(
        "SELECT e.event_id::text, count(r.run_id), bool_and(s.status = 'succeeded') FROM hot.event e "
        "JOIN hot.run r ON r.event_id = e.event_id JOIN hot.run_status s ON s.status_id = r.status_id "
        "WHERE e.event_id = ANY(%s::uuid[]) GROUP BY e.event_id", steady.event_ids)
    assert len(rows) == len(steady.event_ids)
    assert all(count == 1 and ok for _, count, ok in rows), [r for r in rows if r[1] != 1 or not r[2]]

    assert memory.peak_executor < EXECUTOR_BUDGET_MB * 1024 * 1024, memory.peak_executor
    assert memory.peak_worker <= WORKER_MEMORY_MB * 1024 * 1024, memory.peak_worker
    assert len(memory.workers_seen) > WORKERS, "no worker was replaced: the hard limits were never exercised"


def test_a_looping_deploy_fails_and_ingest_stays_up(platform: DevPlatform, api: ApiClient) -> None:
    state = platform.reload_state()

    async def deploy_and_publish() -> tuple[BaseException | None, dict[str, Any]]:
        async with IngestClient(state["grpc"]["ingest"]) as ingest:
            deploying = asyncio.ensure_future(
                ingest.deploy_build(state["env_id"], "hostile-deploy", {"loop.hot": LOOPING_DEPLOY}, timeout_s=30))
            # While the deploy's top-level loop runs, ingest still serves.
            event = await ingest.publish_event(state["env_id"], "steady:tick", {"n": -1})
            done_while_publishing = deploying.done()
            error: BaseException | None = None
            try:
                await deploying
            except grpc.aio.AioRpcError as exc:
                error = exc
            return error, {"event_id": event.event_id, "deploy_done": done_while_publishing}

    error, seen = asyncio.run(deploy_and_publish())
    assert isinstance(error, grpc.aio.AioRpcError), "a deploy whose top level never ends must fail"
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION or error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert re.search(r"HOT_LOAD_TIMEOUT|load.*time limit|timed out", error.details() or "", re.IGNORECASE)
    assert seen["deploy_done"] is False, "ingest answered the publish only after the deploy ended"
    (run,) = api.settled_runs(seen["event_id"], timeout=30)
    assert run["status"] == "succeeded" and run["result"] == -1
