"""The product page's flagship example, for real (issue 11's acceptance test).

The seed's `handle-chat` / `process-stream` code (shared/seed/runs-events-streams.txt), deployed
verbatim with only a dependency declaration added (`hot.hot` naming the bundled
`hot.dev/anthropic` package), calls a fake Anthropic streaming server. The API key is stored as a
secret through the REST API; the client flow is the seed's: `POST /v1/events` `chat:message`, then
`GET /v1/streams/{stream_id}/subscribe`. Every delta must arrive in order as `stream:data`, then
`run:stop` with the concatenated text; the fake server sees the key in `x-api-key`, and the key
appears nowhere in the stored run, its trace, the platform log or the SSE bytes.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from tests.support.api import ApiClient
from tests.support.fake_http import FakeServer, Handler, fake_http
from tests.support.platform import DevPlatform, running
from tests.support.sources import SEED_CHAT
from tests.support.sse import SseCapture, read_sse
from tests.support.waiting import wait_until

API_KEY = "sk-ant-test-5f2c9a71e04b4d2b"
DELTAS = ["Hel", "lo", ", ", "stream", "ing ", "wor", "ld", "!"]

HOT_HOT = """hot.project.chat.src.paths ["src/"]
hot.project.chat.deps {"hot.dev/anthropic": {}}
"""



class Anthropic:
    """The fake `/v1/messages`: holds its stream until the test's SSE client is subscribed."""

    def __init__(self) -> None:
        self.subscribed = threading.Event()

    def routes(self, server: FakeServer) -> dict[str, Handler]:
        async def messages(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            # The handshake: the stream starts once the subscriber's headers arrived (live-only data).
            await asyncio.get_running_loop().run_in_executor(None, self.subscribed.wait, 30)

            async def event(name: str, data: dict[str, object]) -> None:
                await response.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                await asyncio.sleep(0.02)  # pacing on purpose: an LLM streams with small delays

            await event("message_start", {"type": "message_start", "message": {"id": "msg_1", "content": []}})
            await event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}})
            await event("ping", {"type": "ping"})
            for text in DELTAS:
                await event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "text_delta", "text": text}})
            await event("content_block_stop", {"type": "content_block_stop", "index": 0})
            await event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}})
            await event("message_stop", {"type": "message_stop"})
            await response.write_eof()
            return response

        return {"/v1/messages": messages}


@pytest.fixture(scope="module")
def anthropic() -> Iterator[tuple[Anthropic, FakeServer]]:
    fake = Anthropic()
    with fake_http(fake.routes) as server:
        yield fake, server


@pytest.fixture(scope="module")
def platform(anthropic: tuple[Anthropic, FakeServer]) -> Iterator[DevPlatform]:
    with running({"hot.hot": HOT_HOT, "src/chat.hot": SEED_CHAT}, include_examples=False) as dev:
        yield dev


def test_the_seed_chat_streams_every_delta_and_never_shows_the_key(
        platform: DevPlatform, api: ApiClient, anthropic: tuple[Anthropic, FakeServer]) -> None:
    fake, server = anthropic
    project = platform.state["project"]
    assert project == "chat"
    stored = api.post(f"/v1/projects/{project}/context", json={"key": "anthropic.api.key", "value": API_KEY})
    assert stored.status_code == 201, stored.text
    base = api.post(f"/v1/projects/{project}/context",
                    json={"key": "anthropic.api.base-url", "value": server.url, "secret": False})
    assert base.status_code == 201, base.text

    # 1. Publish event to trigger the handler (the seed's client flow).
    published = api.post("/v1/events", json={"event_type": "chat:message", "event_data": {"message": "Hello!"}})
    assert published.status_code == 201, published.text
    stream_id = published.json()["data"]["stream_id"]

    # 2. Subscribe to stream for real-time updates.
    def opened(capture: SseCapture) -> None:
        assert capture.status == 200
        fake.subscribed.set()

    cap = read_sse(api, "GET", f"/v1/streams/{stream_id}/subscribe", on_open=opened, timeout=60,
                   until=lambda events: any(e["type"] in ("run:stop", "run:fail") for e in events),
                   headers={"Accept": "text/event-stream"})
    deltas = [e["payload"]["text"] for e in cap.events if e["type"] == "stream:data" and e["data_type"] == "ai:delta"]
    stop = next(e for e in cap.events if e["type"] in ("run:stop", "run:fail"))
    assert stop["type"] == "run:stop", stop
    # Deltas in order; events without a text delta (start, ping, stop) emit "" as the seed's `or` says.
    assert [d for d in deltas if d] == DELTAS
    assert stop["run"]["result"] == "".join(DELTAS)

    (call,) = [r for r in server.requests if r.path == "/v1/messages"]
    assert call.headers.get("x-api-key") == API_KEY
    assert json.loads(call.body)["messages"] == [{"role": "user", "content": "Hello!"}]
    assert json.loads(call.body)["stream"] is True

    run_id = stop["run"]["run_id"]
    wait_until(lambda: platform.db_count("SELECT count(*) FROM hot.trace_span WHERE run_id = %s AND name LIKE 'HTTP%%'",
                                         run_id) >= 1, 15, what="the run's HTTP span stored")
    stored_run = platform.db_rows("SELECT row_to_json(r)::text FROM hot.run r WHERE run_id = %s", run_id)
    spans = platform.db_rows("SELECT row_to_json(s)::text FROM hot.trace_span s WHERE run_id = %s", run_id)
    everywhere = {"run row": json.dumps(stored_run), "spans": json.dumps(spans), "SSE bytes": cap.raw.decode(),
                  "run API": api.get(f"/v1/runs/{run_id}").text, "trace API": api.get(f"/v1/runs/{run_id}/trace").text,
                  "context API": api.get(f"/v1/projects/{project}/context").text,
                  "platform log": platform.log_path.read_text(errors="replace")}
    for where, text in everywhere.items():
        assert API_KEY not in text, f"the API key leaked into the {where}"
