"""Live messages on core NATS: their kinds, dataclasses and the one JSON encoding of each.

Two subject families carry them (`services.core.subjects`):
- `hot.live.<env>.<stream>`: loss-tolerant news of a stream. Executors publish `RunPing`s
  (ids only: subscribers re-read the run from PostgreSQL) and `StreamDataPing`s; ingest's
  Streams service turns them into subscription messages. `Notice`s (`event:created`, …) are
  passed through to the environment feed as published.
- `hot.control.<env>`: commands to executors (`CancelCommand`).

Encoding and decoding are pure; a message that does not decode is `None`, never an exception,
because another version of a service may publish kinds this one does not know.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.core import model, wire

RUN_START = "run:start"
RUN_STOP = "run:stop"
RUN_FAIL = "run:fail"
RUN_CANCEL = "run:cancel"
STREAM_DATA = "stream:data"
REPLAY_DONE = "replay:done"
"""Not published on NATS: the marker a subscription sends once its replay is complete."""

LIFECYCLE_KINDS = frozenset({RUN_START, RUN_STOP, RUN_FAIL, RUN_CANCEL})
TERMINAL_KINDS = frozenset({RUN_STOP, RUN_FAIL, RUN_CANCEL})

NOTICE_FIELDS: dict[str, tuple[str, ...]] = {
    "event:created": ("event_id", "env_id", "stream_id", "event_type", "project_id"),
    "event:handled": ("event_id", "env_id", "stream_id", "event_type", "project_id"),
    "stream:created": ("stream_id", "env_id", "project_id"),
}
"""Environment-feed notices forwarded as published (platform-spec §5.4), with the fields kept."""

_TERMINAL_KIND = {
    model.RunStatus.SUCCEEDED: RUN_STOP,
    model.RunStatus.FAILED: RUN_FAIL,
    model.RunStatus.PENDING_RETRY: RUN_FAIL,
    model.RunStatus.CANCELLED: RUN_CANCEL,
}


def terminal_kind(status: model.RunStatus) -> str | None:
    """The SSE name of a run's end: succeeded → run:stop, failed | pending_retry → run:fail,
    cancelled → run:cancel; None while it is running."""
    return _TERMINAL_KIND.get(status)


@dataclass(frozen=True)
class RunPing:
    """A run started or ended; subscribers re-read the run by id."""

    kind: str
    run_id: str
    env_id: str
    stream_id: str
    event_id: str | None = None
    run_type: str | None = None
    fn_name: str | None = None

    @classmethod
    def of(cls, kind: str, run: model.Run) -> RunPing:
        return cls(kind, run.run_id, run.env_id, run.stream_id, run.event_id, run.run_type.label, run.fn_name)


@dataclass(frozen=True)
class StreamDataPing:
    """A `::hot::stream/data` item (never persisted)."""

    stream_data_id: str
    run_id: str
    env_id: str
    stream_id: str
    data_type: str
    payload: Any

    kind = STREAM_DATA

    def as_stream_data(self) -> model.StreamData:
        return model.StreamData(self.stream_data_id, self.run_id, self.data_type, wire.dumps(self.payload))


@dataclass(frozen=True)
class Notice:
    """A pass-through environment-feed notice (`NOTICE_FIELDS`)."""

    kind: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class CancelCommand:
    """Stop waiting for a run whose cancellation ingest has recorded."""

    run_id: str

    kind = RUN_CANCEL


LiveMessage = RunPing | StreamDataPing | Notice


def encode(message: LiveMessage | CancelCommand) -> bytes:
    """The JSON body published on NATS."""
    body: dict[str, Any]
    if isinstance(message, RunPing):
        body = {"type": message.kind, "run_id": message.run_id, "stream_id": message.stream_id,
                "env_id": message.env_id, "event_id": message.event_id, "run_type": message.run_type,
                "fn_name": message.fn_name}
    elif isinstance(message, StreamDataPing):
        body = {"type": STREAM_DATA, "stream_data_id": message.stream_data_id, "run_id": message.run_id,
                "env_id": message.env_id, "stream_id": message.stream_id, "data_type": message.data_type,
                "payload": message.payload}
    elif isinstance(message, Notice):
        body = {"type": message.kind, **message.fields}
    else:
        body = {"type": RUN_CANCEL, "run_id": message.run_id}
    return wire.dumps(body).encode()


def _object(data: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


def decode_live(data: bytes) -> LiveMessage | None:
    """A message of a `hot.live.*` subject, or None when it is not one this version knows."""
    body = _object(data)
    if body is None:
        return None
    kind = body.get("type")
    if kind == STREAM_DATA:
        return StreamDataPing(str(body.get("stream_data_id", "")), str(body.get("run_id", "")),
                              str(body.get("env_id", "")), str(body.get("stream_id", "")),
                              str(body.get("data_type", "")), body.get("payload"))
    if kind in LIFECYCLE_KINDS:
        run_id, env_id = _text(body, "run_id"), _text(body, "env_id")
        if run_id is None or env_id is None:
            return None
        return RunPing(str(kind), run_id, env_id, str(body.get("stream_id", "")), _text(body, "event_id"),
                       _text(body, "run_type"), _text(body, "fn_name"))
    if isinstance(kind, str) and kind in NOTICE_FIELDS:
        return Notice(kind, {name: body.get(name) for name in NOTICE_FIELDS[kind]})
    return None


def decode_control(data: bytes) -> CancelCommand | None:
    """A command of a `hot.control.*` subject, or None when it is not one this version knows."""
    body = _object(data)
    if body is None or body.get("type") != RUN_CANCEL:
        return None
    run_id = _text(body, "run_id")
    return CancelCommand(run_id) if run_id is not None else None
