"""Server-Sent Events exactly as platform-spec §5.4 fixes them, and one SSE response per client.

Framing is pure: `frame(name, obj)` gives `event: <name>\\n` + `data: <one-line JSON>\\n\\n`,
LF only. The JSON is ASCII-only so that no character a client's `splitlines()` treats as
a line break (U+2028, U+0085, …) can ever split the data line.

`SseChannel` writes frames straight to the socket while the client keeps up, and queues
them (bounded) while its socket buffer is full. A client whose queue exceeds the bound is
dropped with a logged reason: a slow reader never slows the run or the other readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import web

from services.core.config import SseOptions

log = logging.getLogger(__name__)

STREAM_KEEPALIVE = b":\n\n"
RUN_KEEPALIVE = b": keepalive\n\n"
HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_SOCKET_HIGH_WATER = 256 * 1024


def data_line(obj: Any) -> str:
    """One-line, ASCII-only JSON."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def frame(name: str, obj: dict[str, Any]) -> bytes:
    """`event: <name>\\ndata: <json>\\n\\n`; `obj` must carry `"type": name`."""
    return frame_raw(name, data_line(obj))


def frame_raw(name: str, json_line: str) -> bytes:
    """A frame from already-encoded one-line JSON."""
    return f"event: {name}\ndata: {json_line}\n\n".encode()


def escape_line_breaks(json_text: str) -> str:
    """Make JSON text safe for one `data:` line: escape the characters Python's
    `splitlines()` breaks on that JSON may leave raw inside strings."""
    if "\u2028" in json_text or "\u2029" in json_text or "\x85" in json_text:
        json_text = json_text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")
    return json_text


def http_chunk(data: bytes) -> bytes:
    """`data` as one HTTP/1.1 chunk: an SSE response uses chunked transfer encoding, and frames
    are written straight to the socket."""
    return b"%x\r\n%s\r\n" % (len(data), data)


class SseRegistry:
    """The open SSE channels of a gateway process, so shutdown can end them promptly."""

    def __init__(self) -> None:
        self.channels: set[SseChannel] = set()

    def close_all(self) -> None:
        for channel in list(self.channels):
            channel.close()


class SseChannel:
    """One client's SSE response: prepared, fed with frames, kept alive, closed at the cap."""

    def __init__(self, request: web.Request, options: SseOptions, *, keepalive: bytes, label: str,
                 registry: SseRegistry | None = None) -> None:
        self._request = request
        self._registry = registry
        self._options = options
        self._keepalive = keepalive
        self.label = label
        self.response = web.StreamResponse(status=200, headers=HEADERS)
        self.started = time.monotonic()
        self.deadline = self.started + options.max_seconds
        self._socket: asyncio.BaseTransport | None = None
        self._backlog: list[bytes] = []
        self._backlog_bytes = 0
        self._wake = asyncio.Event()
        self.closed = False
        self.dropped_reason: str | None = None
        self.messages_sent = 0
        self.bytes_sent = 0

    async def open(self) -> None:
        """Send the status line and headers (they leave immediately for a StreamResponse)."""
        await self.response.prepare(self._request)
        self._socket = self._request.transport
        if self._registry is not None:
            self._registry.channels.add(self)

    def _transport(self) -> asyncio.Transport | None:
        transport = self._socket
        if transport is None or transport.is_closing():
            return None
        return transport  # type: ignore[return-value]

    def send(self, data: bytes) -> bool:
        """Queue or write one frame (or comment). False once the client is gone or dropped."""
        return self.send_chunk(http_chunk(data), len(data))

    def send_chunk(self, chunk: bytes, size: int) -> bool:
        """`send` for a frame already wrapped by `http_chunk` (fan-out wraps once for every client)."""
        if self.closed:
            return False
        transport = self._transport()
        if transport is None:
            self.close("client went away")
            return False
        if not self._backlog and transport.get_write_buffer_size() < _SOCKET_HIGH_WATER:
            transport.write(chunk)
        else:
            self._backlog.append(chunk)
            self._backlog_bytes += len(chunk)
            if self._backlog_bytes > self._options.max_backlog_bytes:
                self.close(f"slow client: more than {self._options.max_backlog_bytes} bytes behind", abort=True)
                return False
            self._wake.set()
        self.messages_sent += 1
        self.bytes_sent += size
        return True

    def close(self, reason: str | None = None, *, abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if abort:
            self.dropped_reason = reason
            log.warning("dropping SSE client %s: %s", self.label, reason)
            transport = self._request.transport
            if transport is not None:
                transport.abort()
        self._wake.set()

    async def pump(self) -> None:
        """Until closed or the cap: flush the backlog as the socket drains, send keepalives."""
        next_keepalive = time.monotonic() + self._options.keepalive_s
        while not self.closed:
            now = time.monotonic()
            if now >= self.deadline:
                return
            if now >= next_keepalive:
                self.send(self._keepalive)
                next_keepalive = now + self._options.keepalive_s
            wait = min(self.deadline, next_keepalive) - now
            if self._backlog:
                transport = self._transport()
                if transport is None:
                    self.close("client went away")
                    return
                if transport.get_write_buffer_size() < _SOCKET_HIGH_WATER:
                    transport.write(b"".join(self._backlog))
                    self._backlog.clear()
                    self._backlog_bytes = 0
                else:
                    wait = min(wait, 0.05)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.0)):
                    await self._wake.wait()

    async def finish(self, last: bytes | None = None) -> None:
        """Flush, optionally send a final frame, and end the response."""
        if self._registry is not None:
            self._registry.channels.discard(self)
        if self.dropped_reason is not None:
            return
        transport = self._transport()
        if transport is None:
            return
        if self._backlog:
            transport.write(b"".join(self._backlog))
            self._backlog.clear()
        self.closed = False
        if last is not None:
            self.send(last)
        self.closed = True
        try:
            await self.response.write_eof()
        except (ConnectionError, RuntimeError) as exc:
            log.debug("SSE end for %s failed: %s", self.label, exc)
