"""The first-party `anthropic` and `openai` packages against local fake servers speaking their wire formats.

`allow_loopback` below lets the test's own server in (loopback is refused by default).

The Hot code runs as a handler would: a program of the package's files plus a driver file, called
in a thread (program calls block) while the fake server runs on the test's event loop. The context
values a run would get from the store are set with `::hot::ctx/set` at the start of the driver.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hotlang import RecordingHost, load_program
from hotlang.tools.checker import check_sources
from tests.support.sources import SEED_CHAT

REPO = Path(__file__).resolve().parents[2]
DELTAS = ["Hel", "lo", ", ", "wor", "ld", "!"]


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOT_HTTP_ALLOW", "127.0.0.1")


@dataclass
class Seen:
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)


SEEN = web.AppKey("seen", Seen)


async def anthropic_messages(request: web.Request) -> web.StreamResponse:
    seen = request.app[SEEN]
    body = await request.json()
    seen.requests.append((request.path, dict(request.headers), body))
    if not body.get("stream"):
        return web.json_response({"id": "msg_1", "type": "message", "role": "assistant",
                                  "content": [{"type": "text", "text": "".join(DELTAS)}],
                                  "stop_reason": "end_turn"})
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)

    async def event(name: str, data: dict[str, Any]) -> None:
        await response.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        await asyncio.sleep(0.01)  # pacing on purpose: an LLM streams with small delays

    await event("message_start", {"type": "message_start", "message": {"id": "msg_1", "content": []}})
    await event("content_block_start", {"type": "content_block_start", "index": 0,
                                        "content_block": {"type": "text", "text": ""}})
    for text in DELTAS:
        await event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": text}})
    await event("content_block_stop", {"type": "content_block_stop", "index": 0})
    await event("message_stop", {"type": "message_stop"})
    await response.write_eof()
    return response


async def openai_completions(request: web.Request) -> web.StreamResponse:
    seen = request.app[SEEN]
    body = await request.json()
    seen.requests.append((request.path, dict(request.headers), body))
    if not body.get("stream"):
        return web.json_response({"id": "c1", "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "".join(DELTAS)}, "finish_reason": "stop"}]})
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for text in DELTAS:
        chunk = {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await asyncio.sleep(0.01)  # pacing on purpose: an LLM streams with small delays
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


@pytest.fixture
async def fake() -> AsyncIterator[tuple[str, Seen]]:
    app = web.Application()
    app[SEEN] = seen = Seen()
    app.router.add_post("/v1/messages", anthropic_messages)
    app.router.add_post("/openai/v1/chat/completions", openai_completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


def package_sources(name: str) -> dict[str, str]:
    root = REPO / "packages" / name
    return {f"deps/{name}/{p.relative_to(root).as_posix()}": p.read_text() for p in sorted(root.rglob("src/**/*.hot"))}


# The seed's handler (../shared/seed/runs-events-streams.txt), verbatim but for the namespace line
# and the driver that sets the context a run would get from the store.
SEED = "::chat ns\n\n" + SEED_CHAT


def driver(base_url_key: str, base_url: str, key_key: str, call: str) -> str:
    return (f'::driver ns\n\nrun fn (arg) {{\n  ::hot::ctx/set("{base_url_key}", "{base_url}")\n'
            f'  ::hot::ctx/set("{key_key}", "sk-test-123")\n  {call}\n}}\n')


async def call(sources: dict[str, str], arg: Any, host: RecordingHost) -> Any:
    program = load_program(sources)
    return await asyncio.to_thread(program.call, "::driver/run", [arg], host=host)


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_the_packages_check_clean(name: str) -> None:
    assert check_sources(package_sources(name)) == []


async def test_the_seed_handler_streams_every_delta_from_anthropic(fake: tuple[str, Seen]) -> None:
    url, seen = fake
    host = RecordingHost()
    sources = {**package_sources("anthropic"), "chat.hot": SEED,
               "driver.hot": driver("anthropic.api.base-url", url, "anthropic.api.key",
                                    "::chat/handle-chat(arg)")}
    result = await call(sources, {"type": "chat:message", "data": {"message": "Hello!"}}, host)
    assert result == "".join(DELTAS)
    texts = [payload["text"] for kind, payload in host.stream if kind == "ai:delta"]
    assert "".join(texts) == "".join(DELTAS) and [t for t in texts if t] == DELTAS  # every delta, in order
    ((path, headers, body),) = seen.requests
    assert path == "/v1/messages"
    assert headers["x-api-key"] == "sk-test-123" and headers["anthropic-version"] == "2023-06-01"
    assert headers["Content-Type"].startswith("application/json")
    assert body == {"model": "claude-sonnet-4-20250514", "max_tokens": 4096, "stream": True,
                    "messages": [{"role": "user", "content": "Hello!"}]}


async def test_anthropic_post_returns_the_whole_reply(fake: tuple[str, Seen]) -> None:
    url, seen = fake
    sources = {**package_sources("anthropic"),
               "driver.hot": driver("anthropic.api.base-url", url + "/", "anthropic.api.key",
                                    "::anthropic::messages/post(arg)")}
    reply = await call(sources, {"model": "m", "max_tokens": 10, "messages": []}, RecordingHost())
    assert reply["status"] == 200 and reply["body"]["content"][0]["text"] == "".join(DELTAS)
    ((path, headers, body),) = seen.requests
    assert path == "/v1/messages" and headers["x-api-key"] == "sk-test-123" and "stream" not in body


async def test_openai_completions_and_its_stream(fake: tuple[str, Seen]) -> None:
    url, seen = fake
    base = url + "/openai/v1"
    sources = {**package_sources("openai"),
               "driver.hot": driver("openai.api.base-url", base, "openai.api.key",
                                    "::openai::chat/completions(arg)")}
    request = {"model": "gpt-x", "messages": [{"role": "user", "content": "hi"}]}
    reply = await call(sources, request, RecordingHost())
    assert reply["status"] == 200 and reply["body"]["choices"][0]["message"]["content"] == "".join(DELTAS)
    collect_text = ("collect-text(::openai::chat/completions-stream(arg).body, \"\")\n}\n\n"
                    "collect-text fn (iter, acc: Str): Str {\n  result next(iter)\n  cond {\n"
                    "    result.done => { acc }\n"
                    "    => { collect-text(iter, concat(acc, ::openai::chat/delta-text(result.value))) }\n  }")
    sources["driver.hot"] = driver("openai.api.base-url", base, "openai.api.key", collect_text)
    assert await call(sources, request, RecordingHost()) == "".join(DELTAS)
    assert [r[0] for r in seen.requests] == ["/openai/v1/chat/completions"] * 2
    assert all(r[1]["Authorization"] == "Bearer sk-test-123" for r in seen.requests)
    assert seen.requests[1][2]["stream"] is True and "stream" not in seen.requests[0][2]
