"""The executor's named pieces against real servers: build preloading and `send` through ingest."""

from __future__ import annotations

from services.core.ids import new_id
from services.executor.builds import BuildCache
from services.executor.ingest_events import IngestEvents
from tests.support.sources import MATH
from tests.support.stack import Stack
from tests.support.waiting import wait_until_async


async def test_preload_loads_a_deployed_build_in_the_background(stack: Stack) -> None:
    build_id = await stack.deploy({"math.hot": MATH})
    cache = BuildCache(stack.pool, stack.sandbox)
    cache.preload(build_id)
    cache.preload("00000000-0000-7000-8000-000000000000")  # unknown: logged, never raised

    async def preloaded() -> bool:
        return len(cache) >= 1

    await wait_until_async(preloaded, timeout=10, what="the build preloaded")
    program = await cache.get(build_id)  # served from the cache
    assert any(f.qualified == "::app::math/add" for f in program.functions())


async def test_publish_from_run_creates_the_event_on_the_run_stream(stack: Stack) -> None:
    first = await stack.sink.publish(stack.env_id, "order:placed", {"n": 1})
    (origin,) = await stack.rows("SELECT stream_id::text FROM hot.event WHERE event_id = %s", first)
    run_id = new_id()  # the sending run
    events = IngestEvents(stack.ingest_addr)
    try:
        info = await events.publish_from_run("order:shipped", {"n": 2}, stack.env_id, origin["stream_id"],
                                             run_id, "")
    finally:
        await events.close()
    assert info["event"]["type"] == "order:shipped" and info["stream"]["id"] == origin["stream_id"]
    assert info["env"]["id"] == stack.env_id
    (row,) = await stack.rows("SELECT event_type, event_data, stream_id::text, source_run_id::text FROM hot.event "
                              "WHERE event_id = %s", info["event"]["id"])
    assert row == {"event_type": "order:shipped", "event_data": {"n": 2}, "stream_id": origin["stream_id"],
                   "source_run_id": run_id}
