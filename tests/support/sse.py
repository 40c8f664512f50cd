"""A raw SSE reader for tests: keeps the exact bytes and parses frames the way the SDKs do.

`read_sse` reads one response to its end (or until a condition holds). `SseSubscription` reads
on a background thread and is the handshake for live tests: entering it returns once the
response headers arrived, and the gateway sends them only after the subscription is live (a
stream subscription has joined its live group and fetched its replay, the environment feed has
received the streams service's replay-done marker, a run watch has read its first snapshot).
Whatever the test does afterwards is therefore seen by the subscriber: no sleep "to let it connect".
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from tests.support.waiting import wait_until

Events = list[dict[str, Any]]


@dataclass
class SseCapture:
    """What a client received: status, headers, the exact bytes and the parsed events."""

    status: int
    headers: httpx.Headers
    ended: bool = False
    elapsed: float = 0.0
    events: Events = field(default_factory=list)
    _raw: bytearray = field(default_factory=bytearray)

    @property
    def raw(self) -> bytes:
        return bytes(self._raw)

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def json(self) -> Any:
        return json.loads(self._raw)


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


def read_sse(client: httpx.Client, method: str, path: str, *, until: Callable[[Events], bool] | None = None,
             timeout: float = 15.0, on_open: Callable[[SseCapture], None] | None = None,
             **kwargs: Any) -> SseCapture:
    """Read an SSE response until it ends, `until(events)` holds, or `timeout` passes.

    `on_open(capture)` is called as soon as the headers arrived; the capture then fills as bytes come.
    """
    started = time.monotonic()
    with client.stream(method, path, timeout=httpx.Timeout(timeout, read=timeout), **kwargs) as resp:
        capture = SseCapture(resp.status_code, resp.headers)
        if on_open is not None:
            on_open(capture)
        if resp.status_code != 200 or not resp.headers.get("content-type", "").startswith("text/event-stream"):
            capture._raw.extend(resp.read())
            capture.ended = True
            return capture
        ended = True
        pending = b""
        for chunk in resp.iter_raw():
            capture._raw.extend(chunk)
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
    capture.elapsed = time.monotonic() - started
    return capture


class SseSubscription:
    """`read_sse` on a background thread; `with` returns once the subscription is live (headers in)."""

    def __init__(self, client: httpx.Client, method: str, path: str, *, until: Callable[[Events], bool] | None = None,
                 timeout: float = 15.0, **kwargs: Any) -> None:
        self._args = (client, method, path)
        self._options: dict[str, Any] = {"until": until, "timeout": timeout, **kwargs}
        self._timeout = timeout
        self._capture: SseCapture | None = None
        self._error: BaseException | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True, name=f"sse {path}")

    def _read(self) -> None:
        try:
            self._capture = read_sse(*self._args, on_open=self._open, **self._options)
        except BaseException as exc:  # handed to the test thread
            self._error = exc
        finally:
            self._opened.set()

    def _open(self, capture: SseCapture) -> None:
        self._capture = capture
        self._opened.set()

    def __enter__(self) -> SseSubscription:
        self._thread.start()
        assert self._opened.wait(self._timeout), "no SSE response headers in time"
        self._raise()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._thread.join(self._timeout + 5)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    @property
    def capture(self) -> SseCapture:
        """What arrived so far (complete once `result` returned)."""
        self._raise()
        assert self._capture is not None
        return self._capture

    @property
    def events(self) -> Events:
        return list(self.capture.events)

    def wait_for(self, condition: Callable[[SseCapture], bool], timeout: float = 15.0, what: str = "") -> SseCapture:
        """Wait until `condition(capture)` holds for what arrived so far."""
        wait_until(lambda: condition(self.capture), timeout, what=what or "SSE condition")
        return self.capture

    def result(self) -> SseCapture:
        """Wait for the reader to stop (the response ended, `until` held, or the timeout passed)."""
        self._thread.join(self._timeout + 5)
        assert not self._thread.is_alive(), "the SSE reader did not stop"
        return self.capture
