"""The lazy body of a streamed `::hot::http` response, and the error messages every request shares.

:class:`StreamBody` is the Python iterator inside the `HotIter` a `request-stream` returns: one
decoded value per pull (null for a chunk that completes nothing), the transport error at the pull
that meets it, done at the end. It closes its connection at the end, on an error, on a stop, and
when the run ends with it still open (:func:`close_open_streams`, called by the worker).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hotlang.errors import HotError, HotRuntimeError, is_uncatchable
from hotlang.library.http_streams import StreamDecoder
from hotlang.runtime.egress import HttpOptions
from hotlang.runtime.json_codec import to_json
from hotlang.runtime.run import current_run
from hotlang.runtime.tracing import Span

if TYPE_CHECKING:
    from hotlang.library.http_transport import Exchange

PREFIX = "::hot::http/request"
"""How every transport, limit, policy and redirect Err begins (spec §1.7)."""


class RequestRefused(Exception):
    """A request that is not sent (bad method or URL, a policy refusal, a redirect problem)."""


def describe(error: BaseException, options: HttpOptions, streaming: bool) -> str | None:
    """The Err message of a failed request; None for what must propagate (a stop, a time limit)."""
    import httpx

    from hotlang.library.http_transport import HttpTimeout

    if isinstance(error, RequestRefused):
        return str(error)
    if isinstance(error, HttpTimeout):
        setting = "HOT_HTTP_STREAM_TIMEOUT" if streaming else "HOT_HTTP_REQUEST_TIMEOUT"
        return f"{error} ({setting})"
    if isinstance(error, httpx.ConnectTimeout):
        return f"connection timed out after {options.connect_timeout_s:g} seconds (HOT_HTTP_CONNECT_TIMEOUT)"
    if isinstance(error, httpx.TransportError):
        text = str(error) or type(error).__name__
        return text if "blocked" in text or "HOT_HTTP_" in text else f"{type(error).__name__}: {text}"
    if isinstance(error, httpx.HTTPError):
        return f"{type(error).__name__}: {error}"
    return None


def announcer(data_type: str) -> Callable[[Any], None]:
    """Publish a pulled value as ``stream:data`` of ``data_type`` (only ``next`` and ``collect`` call it)."""
    host = current_run().host

    def announce(value: Any) -> None:
        host.stream_data(data_type, to_json(value))

    return announce


_open: set[StreamBody] = set()
_open_lock = threading.Lock()


def close_open_streams() -> None:
    """Close every streamed body still open (a host calls it when a run ends: nothing outlives the run)."""
    with _open_lock:
        bodies = list(_open)
    for body in bodies:
        body.close(None)
    transport = sys.modules.get("hotlang.library.http_transport")
    if transport is not None:  # not imported: no request was ever made
        transport.abort_all()


class StreamBody:
    """The lazy body of a StreamingHttpResponse: one decoded value per pull, null for a chunk that
    completes nothing, then done. The connection closes at the end, on an error, or on a stop."""

    def __init__(self, exchange: Exchange, decoder: StreamDecoder, options: HttpOptions, span: Span | None,
                 started: float) -> None:
        self._exchange = exchange
        self._decoder = decoder
        self._options = options
        self._span = span
        self._started = started
        self._pending: deque[Any] = deque()
        self._bytes = 0
        self._done = False
        self._closed = False
        with _open_lock:
            _open.add(self)

    def __iter__(self) -> StreamBody:
        return self

    def __next__(self) -> Any:
        if self._pending:
            return self._pending.popleft()
        if self._done:
            raise StopIteration
        try:
            chunk = self._exchange.chunk()
            if chunk is not None:
                self._bytes += len(chunk)
                if self._bytes > self._options.max_stream_bytes:
                    raise RequestRefused(f"stream body is over the limit of {self._options.max_stream_bytes} bytes "
                                   "(HOT_HTTP_MAX_STREAM_BYTES)")
        except BaseException as error:
            message = describe(error, self._options, True)
            self.close(f"{PREFIX}: {message}" if message is not None else str(error))
            if message is None or (isinstance(error, HotError) and is_uncatchable(error)):
                raise
            raise HotRuntimeError(f"::hot::iter/next: {PREFIX}: {message}") from None
        if chunk is None:
            self._done = True
            values = self._decoder.finish()
            self.close(None)
            if not values:
                raise StopIteration
        else:
            values = self._decoder.feed(chunk)
            if not values:
                return None
        self._pending.extend(values[1:])
        return values[0]

    def close(self, failure: str | None) -> None:
        """End the body: the connection is closed unless it was read to the end (then it is pooled)."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        if failure is None and self._exchange.ended:
            self._exchange.finish()
        else:
            self._exchange.abort()
        with _open_lock:
            _open.discard(self)
        if self._span is not None:
            if failure is not None:
                self._span.fail(failure, "")
            self._span.set_attribute("http.response.body.size", self._bytes)
            self._span.set_attribute("hot.http.duration_ms", int((time.monotonic() - self._started) * 1000))
            self._span.end()

    def __del__(self) -> None:
        if not self._closed:
            self._exchange.abort()
