"""The `hotlang.Host` of a run inside a worker: every effect is a frame to the parent.

`send` is a request answered by the parent (which calls ingest); stream data and `print` are
posted and never answered; `info()` is the run info the parent sent with the call; `now` is the
worker's clock; `env(name)` reads only the variables the operator allow-listed (`HOT_CODE_ENV`);
a stop request from the parent makes `check_cancelled` raise; `::hot::http` reads the operator's
`HttpOptions` (timeouts, caps, egress policy: `HOT_HTTP_*`) and the traceparent of its own span.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hotlang import HotCancelled, HotRuntimeError
from hotlang.runtime.egress import HttpOptions
from hotlang.runtime.tracing import current_span, record_event
from services.sandbox.channel import Channel
from services.sandbox.spans import SpanRecorder

TRUNCATED_MARKER = "\n…[output truncated]\n"


class LoadHost:
    """The host while a build's top-level code runs: no events, no stream, output dropped; the base
    of a run's host, which shares its clock, allow-listed environment, HTTP settings and stop check."""

    STOPPED = "Load stopped"

    def __init__(self, channel: Channel, env: dict[str, str], http: HttpOptions | None = None) -> None:
        self._channel = channel
        self._env = env
        self._http = http or HttpOptions()

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        raise HotRuntimeError("send is not available while a build loads")

    def stream_data(self, data_type: str, payload: Any) -> None:
        return None

    def print(self, text: str) -> None:
        return None

    def info(self) -> dict[str, Any] | None:
        return None

    def now(self) -> datetime:
        """The worker's UTC wall clock."""
        return datetime.now(UTC)

    def env(self, name: str) -> str | None:
        """An allow-listed (`HOT_CODE_ENV`) variable's value; None for every other name."""
        return self._env.get(name)

    def http_options(self) -> HttpOptions:
        """The operator's `::hot::http` settings (`HOT_HTTP_*`), sent with the worker's `init`."""
        return self._http

    def traceparent(self, span: object | None) -> str:
        return ""

    def check_cancelled(self) -> None:
        """Raise once the parent asked the job to stop (timeout, cancel, shutdown)."""
        if self._channel.stop.is_set():
            raise HotCancelled(self.STOPPED)


class WorkerHost(LoadHost):
    """Host of one run in a worker (a :class:`hotlang.Host`)."""

    STOPPED = "Run stopped"

    def __init__(self, channel: Channel, *, info: dict[str, Any] | None, env: dict[str, str],
                 max_stream_payload_bytes: int, max_output_bytes: int, spans: SpanRecorder | None,
                 http: HttpOptions | None = None) -> None:
        super().__init__(channel, env, http)
        self._info = info
        self._max_stream = max_stream_payload_bytes
        self._output_left = max_output_bytes
        self._truncated = False
        self._spans = spans

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        """Publish a child event on this run's stream (the parent calls ingest); returns its EventInfo."""
        self.check_cancelled()
        traceparent = self._spans.traceparent(current_span()) if self._spans is not None else ""
        reply = self._channel.request({"op": "send", "event_type": event_type, "data": data,
                                       "traceparent": traceparent})
        error = reply.get("error")
        if isinstance(error, str):
            raise HotRuntimeError(error)
        info = reply.get("info")
        if not isinstance(info, dict):
            raise HotRuntimeError("send got no EventInfo back")
        return info

    def stream_data(self, data_type: str, payload: Any) -> None:
        """A live `stream:data` item; refused over `HOT_MAX_STREAM_PAYLOAD_BYTES`."""
        self.check_cancelled()
        size = len(json.dumps({"data_type": data_type, "payload": payload}, ensure_ascii=False).encode())
        if size > self._max_stream:
            raise HotRuntimeError(f"stream data payload is {size} bytes, over the limit of {self._max_stream} "
                                  "bytes (HOT_MAX_STREAM_PAYLOAD_BYTES)")
        record_event("hot.stream.data", {"hot.data_type": data_type})
        self._channel.post({"op": "stream_data", "data_type": data_type, "payload": payload})

    def print(self, text: str) -> None:
        """Output goes to the run's stored output (never a log), up to `HOT_MAX_OUTPUT_BYTES`."""
        if self._truncated:
            return
        encoded = text.encode("utf-8", "replace")
        if len(encoded) > self._output_left:
            text = encoded[: self._output_left].decode("utf-8", "ignore")
            self._truncated = True
        self._output_left -= len(text.encode("utf-8", "replace"))
        self._channel.post({"op": "print", "text": text, "truncated": self._truncated})

    def info(self) -> dict[str, Any] | None:
        """What `info()` returns inside the run (platform-spec §3.4), as the parent sent it."""
        return self._info

    def traceparent(self, span: object | None) -> str:
        """The W3C context of `span` (None: the current Hot span) in the run's trace; "" when untraced."""
        if self._spans is None:
            return ""
        return self._spans.traceparent(span if span is not None else current_span())  # type: ignore[arg-type]
