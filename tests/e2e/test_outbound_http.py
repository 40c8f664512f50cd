"""`::hot::http` through a real `hot dev`: a deployed handler calls a local fake API (allowed because
`hot dev` sets `HOT_HTTP_ALLOW_PRIVATE`), the call is a span of the run's stored trace and the API
receives that span's traceparent; a streamed SSE body pulled with `next` reaches an SSE client
as `stream:data`, in order, while the run is still going."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from tests.support.api import ApiClient
from tests.support.fake_http import FakeServer, Handler, fake_http
from tests.support.platform import DevPlatform, running
from tests.support.sse import read_sse
from tests.support.waiting import wait_until

HANDLERS = """
::e2e::http ns

fetch
meta {on-event: "http:fetch"}
fn (event) {
  resp ::hot::http/get(event.data.url)
  {status: resp.status, body: resp.body}
}

relay
meta {on-event: "http:relay"}
fn (event) {
  resp ::hot::http/get-stream(event.data.url, "sse")
  pull(resp.body, "")
}

pull fn (body, text) {
  item ::hot::iter/next(body)
  cond {
    item.done => done { text }
    is-null(item.value) => skip { pull(body, text) }
    eq(item.value.data, "[DONE]") => end { text }
    => more { pull(body, concat(text, item.value.data.text)) }
  }
}
"""
WORDS = ["alpha ", "beta ", "gamma ", "delta "]


def routes(server: FakeServer) -> dict[str, Handler]:
    async def hello(request: web.Request) -> web.StreamResponse:
        return web.json_response({"hello": "from the fake api"})

    async def deltas(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for word in WORDS:
            await response.write(f'data: {{"text": "{word}"}}\n\n'.encode())
            await asyncio.sleep(0.05)  # pacing on purpose: a stream arriving word by word
        await response.write(b"data: [DONE]\n\n")
        return response

    return {"/hello": hello, "/deltas": deltas}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with fake_http(routes) as fake:
        yield fake


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"http.hot": HANDLERS}, include_examples=False) as dev:
        yield dev


@pytest.fixture
def api(platform: DevPlatform) -> Iterator[ApiClient]:
    with platform.client() as client:
        yield client


def spans_named(tree: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = [tree] if tree["name"] == name else []
    for child in tree["children"]:
        found += spans_named(child, name)
    return found


def test_a_handler_calls_a_local_api_inside_the_runs_trace(api: ApiClient, server: FakeServer) -> None:
    event = api.publish("http:fetch", {"url": f"{server.url}/hello?token=abc"})
    (run,) = api.settled_runs(event["event_id"], timeout=20)
    assert run["status"] == "succeeded", run
    assert run["result"] == {"status": 200, "body": {"hello": "from the fake api"}}
    seen = next(r for r in server.requests if r.path == "/hello")

    def stored() -> dict[str, Any] | None:
        roots = api.get(f"/v1/runs/{run['run_id']}/trace").json()["data"]
        root = next((r for r in roots if r["name"] == "hot.run"), None)
        return root if root is not None and spans_named(root, "HTTP GET") else None

    root = wait_until(stored, 15, what="the run's trace with its HTTP span")
    (http_span,) = spans_named(root, "HTTP GET")
    assert seen.headers["traceparent"] == f"00-{root['trace_id']}-{http_span['span_id']}-01"
    assert http_span["attributes"]["url.full"] == f"{server.url}/hello?token=***"
    assert http_span["attributes"]["http.response.status_code"] == 200
    (handler,) = spans_named(root, "::e2e::http/fetch")
    assert http_span["parent_span_id"] == handler["span_id"]


def test_a_streamed_body_pulled_with_next_reaches_sse_clients_in_order(api: ApiClient, server: FakeServer) -> None:
    cap = read_sse(api, "POST", "/v1/streams/subscribe-with-event",
                   json={"event_type": "http:relay", "event_data": {"url": f"{server.url}/deltas"}},
                   until=lambda events: any(e["type"] == "run:stop" for e in events), timeout=30)
    assert cap.status == 200
    data = [e for e in cap.events if e["type"] == "stream:data"]
    assert [(e["data_type"], e["payload"]) for e in data] == \
        [("http:sse:event", {"data": {"text": word}}) for word in WORDS] + [("http:sse:event", {"data": "[DONE]"})]
    stop = next(e for e in cap.events if e["type"] == "run:stop")
    assert stop["run"]["status"] == "succeeded" and stop["run"]["result"] == "".join(WORDS)
