"""Pure decoding of `::hot::http` bodies: JSON from untrusted text, and the `sse`/`ndjson`/`raw`
stream formats chunk by chunk, with upstream's quirks kept on purpose (integrations-spec §1.8).

Each decoder takes one transport chunk and returns the values it completes; at the end of the
body, :meth:`finish` returns what the remaining buffer completes. Nothing here does I/O.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Protocol

from hotlang.errors import HotRuntimeError
from hotlang.runtime.numbers import parse_int

NOT_JSON = object()
"""What :func:`parse_json` returns for text that is not JSON."""


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    """``text`` as a Hot value (fractions as exact Decs, objects as plain maps: a remote server cannot
    forge a tagged value, as with caller JSON, decision 0019), or :data:`NOT_JSON`."""
    try:
        return json.loads(text, parse_float=Decimal, parse_int=lambda digits: parse_int(digits, "JSON"),
                          parse_constant=_constant)
    except (ValueError, HotRuntimeError, RecursionError):
        return NOT_JSON


def json_or_text(text: str) -> Any:
    """The JSON value of ``text``, or ``text`` itself."""
    value = parse_json(text)
    return text if value is NOT_JSON else value


class StreamDecoder(Protocol):
    """Turns a body's chunks into the values `next` yields."""

    data_type: str
    """The `stream:data` type of each value (``http:sse:event``…)."""

    def feed(self, chunk: bytes) -> list[Any]:
        """The values this chunk completes, in order."""
        ...

    def finish(self) -> list[Any]:
        """The values the rest of the buffer completes at the end of the body."""
        ...


class SseDecoder:
    """`sse`: one event map ``{event?, data, id?}`` per frame; frames end at ``\\n\\n`` only.

    Each chunk is decoded as lossy UTF-8 on its own (a character split across chunks is damaged)
    and a CRLF-framed stream never splits (it comes out as one merged event at the end): both are
    upstream's behaviour, kept so a Hot program reads the same values here and there.
    """

    data_type = "http:sse:event"

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, chunk: bytes) -> list[Any]:
        self._buffer += chunk.decode("utf-8", "replace")
        events = []
        while (end := self._buffer.find("\n\n")) >= 0:
            frame, self._buffer = self._buffer[:end], self._buffer[end + 2:]
            event = sse_frame(frame)
            if event is not None:
                events.append(event)
        return events

    def finish(self) -> list[Any]:
        rest, self._buffer = self._buffer, ""
        event = sse_frame(rest) if rest.strip() else None
        return [] if event is None else [event]


def sse_frame(frame: str) -> dict[str, Any] | None:
    """One SSE frame as an event map; None for a frame with neither data nor event (a keep-alive)."""
    event: str | None = None
    event_id: str | None = None
    data: list[str] = []
    for line in frame.split("\n"):
        field, sep, value = line.partition(":")
        if not sep:
            continue
        if field == "event":
            event = value.strip()
        elif field == "data":
            data.append(value.strip())
        elif field == "id":
            event_id = value.strip()
    if not data and event is None:
        return None
    out: dict[str, Any] = {}
    if event is not None:
        out["event"] = event
    out["data"] = json_or_text("\n".join(data)) if data else ""
    if event_id is not None:
        out["id"] = event_id
    return out


class NdjsonDecoder:
    """`ndjson`: the complete lines of a chunk, JSON-parsed (a line that is not JSON stays a Str).

    Works per chunk, as upstream: one line gives that value, several lines give a Vec of them
    (returned as one value), and a last line with no final ``\\n`` is dropped at the end.
    """

    data_type = "http:ndjson:line"

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, chunk: bytes) -> list[Any]:
        self._buffer += chunk.decode("utf-8", "replace")
        if "\n" not in self._buffer:
            return []
        complete, _, self._buffer = self._buffer.rpartition("\n")
        values = [json_or_text(line.strip()) for line in complete.split("\n") if line.strip()]
        if not values:
            return []
        return [values[0]] if len(values) == 1 else [values]

    def finish(self) -> list[Any]:
        self._buffer = ""
        return []


class RawDecoder:
    """`raw` (and any other format name): each chunk as it arrives, a Str if valid UTF-8, else Bytes."""

    data_type = "http:chunk"

    def feed(self, chunk: bytes) -> list[Any]:
        try:
            return [chunk.decode("utf-8")]
        except UnicodeDecodeError:
            return [chunk]

    def finish(self) -> list[Any]:
        return []


def decoder_for(stream_format: Any) -> StreamDecoder:
    """The decoder of a format name; a non-Str or unknown format is `raw` (spec §1.2)."""
    if stream_format == "sse":
        return SseDecoder()
    if stream_format == "ndjson":
        return NdjsonDecoder()
    return RawDecoder()
