"""Deploys load builds in a sandbox worker: a top-level infinite loop is a 422 naming the load limit,
and ingest keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from services.core.clients import IngestClient
from services.core.errors import Unprocessable
from tests.support.sources import MATH
from tests.support.stack import LOAD_TIMEOUT_S, Stack
from tests.support.waiting import wait_until_async

LOOPING = """
::app::stuck ns

spin fn () { spin() }

forever spin()
"""
"""Top-level code that never ends (a self tail call is a loop)."""


async def test_a_top_level_infinite_loop_fails_the_deploy_while_ingest_keeps_serving(stack: Stack) -> None:
    ingest = IngestClient(stack.ingest_addr)
    try:
        started = time.monotonic()
        deploy = asyncio.ensure_future(ingest.deploy_build(stack.env_id, "stuck", {"stuck.hot": LOOPING},
                                                           timeout_s=30))
        await wait_until_loading(stack)
        event_id = await stack.sink.publish(stack.env_id, "order:placed", {"n": 1})
        served_after = time.monotonic() - started
        assert not deploy.done(), "the publish was served while the deploy was loading"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await deploy
    finally:
        await ingest.close()
    assert event_id and served_after < LOAD_TIMEOUT_S
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT  # the gateway's 422
    assert caught.value.details() == ("build failed to load: its top-level code ran longer than the load time "
                                      f"limit of {LOAD_TIMEOUT_S:g} seconds (HOT_LOAD_TIMEOUT)")
    assert await stack.rows("SELECT 1 FROM hot.project WHERE name = 'stuck'") == []
    assert await stack.deploy({"math.hot": MATH})  # the worker was replaced: the next deploy loads


async def test_syntax_errors_keep_their_formatted_message(stack: Stack) -> None:
    with pytest.raises(Unprocessable, match=r"^broken.hot:1:\d+: error: "):
        await stack.deploy({"broken.hot": "fn ( {"})


async def wait_until_loading(stack: Stack) -> None:
    """Until the stack's one sandbox worker is busy (the deploy is loading the build)."""
    async def loading() -> bool:
        return stack.sandbox.idle() == 0

    await wait_until_async(loading, timeout=10, what="the deploy loading in the worker")
