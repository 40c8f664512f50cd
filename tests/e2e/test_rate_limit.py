"""Scenario 38: a burst over the per-organisation rate gets 429 with retry_after; the SDK retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.platform import DevPlatform, running


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({}, include_examples=False, env={"HOT_RATE_LIMIT_RPS": "2"}) as dev:
        yield dev


def test_a_burst_is_refused_with_retry_after(platform: DevPlatform) -> None:
    with platform.client() as api:
        responses = [api.get("/v1/runs") for _ in range(6)]
    refused = [r for r in responses if r.status_code == 429]
    assert refused, "a burst of 6 at 2 rps must be limited"
    assert all(r.status_code in (200, 429) for r in responses)
    error = refused[0].json()["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert isinstance(error["retry_after"], int) and error["retry_after"] >= 1
    assert refused[0].headers["Retry-After"] == str(error["retry_after"])
    with platform.client(token=None) as anon:
        assert anon.get("/status").status_code == 200  # health is never limited


def test_the_official_sdk_retries_after_429(platform: DevPlatform) -> None:
    from hot import HotClient

    with platform.client() as api:
        for _ in range(4):
            api.get("/v1/runs")  # drain the bucket
    with HotClient(token=platform.state["api_key"], base_url=platform.state["gateway_url"]) as client:
        assert client.runs.list(limit=1)["pagination"]["limit"] == 1
