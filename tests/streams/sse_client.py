"""A raw SSE reader for tests: keeps the exact bytes and parses frames the way the SDKs do."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SseCapture:
    status: int
    headers: httpx.Headers
    raw: bytes = b""
    ended: bool = False
    elapsed: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def json(self) -> Any:
        return json.loads(self.raw)


def parse_blocks(raw: bytes) -> list[tuple[str | None, str | None, str]]:
    """(event name, data line, whole block) per complete `\\n\\n`-terminated block."""
    text = raw.decode()
    out = []
    while "\n\n" in text:
        block, text = text.split("\n\n", 1)
        name = data = None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        out.append((name, data, block))
    return out


def read_sse(client: httpx.Client, method: str, path: str, *, until: Callable[[list[dict[str, Any]]], bool]
             | None = None, timeout: float = 15.0, **kwargs: Any) -> SseCapture:
    """Read an SSE response until it ends, `until(events)` holds, or `timeout` passes."""
    started = time.monotonic()
    with client.stream(method, path, timeout=httpx.Timeout(timeout, read=timeout), **kwargs) as resp:
        capture = SseCapture(resp.status_code, resp.headers)
        if resp.status_code != 200 or not resp.headers.get("content-type", "").startswith("text/event-stream"):
            capture.raw = resp.read()
            return capture
        ended = True
        chunks: list[bytes] = []
        pending = b""
        for chunk in resp.iter_raw():
            chunks.append(chunk)
            pending += chunk
            if b"\n\n" in pending:
                complete, _, pending = pending.rpartition(b"\n\n")
                capture.events.extend(json.loads(d) for _, d, _ in parse_blocks(complete + b"\n\n")
                                      if d is not None)
            if until is not None and until(capture.events):
                ended = False
                break
            if time.monotonic() - started > timeout:
                ended = False
                break
        capture.ended = ended
        capture.raw = b"".join(chunks)
    capture.elapsed = time.monotonic() - started
    return capture
