"""The host interface: how Hot code reaches the platform without importing it.

The language calls ``send``, ``::hot::stream/data``, ``print``, ``info``,
``::hot::time/now``, ``::hot::http`` (its options and trace context) and its
stop checks through the :class:`Host` of the current call (see
:func:`hotlang.runtime.run.current_run`); every method it calls is in the
protocol. Services provide their own implementation (the executor's
``RunHost``), tests use :class:`RecordingHost`.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hotlang.errors import HotRuntimeError
from hotlang.runtime.egress import HttpOptions

LOCAL_HTTP = HttpOptions(allow_private=True)
"""`::hot::http` outside the platform (`hot run`, tests): the user's own machine, local servers allowed."""


class Host(Protocol):
    """What the platform provides to a running Hot program. All values are plain JSON."""

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        """Publish an event; return EventInfo ``{event:{id,type,time}, stream:{id}, env:{id}}``."""
        ...

    def stream_data(self, data_type: str, payload: Any) -> None:
        """Emit a real-time item on the current run's stream."""
        ...

    def print(self, text: str) -> None:
        """Write program output (``print``/``println``)."""
        ...

    def info(self) -> dict[str, Any] | None:
        """What ``::hot::run/info`` returns: ``{run, stream, event, env}`` as JSON; None outside a run."""
        ...

    def now(self) -> datetime:
        """The clock ``::hot::time/now`` reads: timezone-aware UTC."""
        ...

    def check_cancelled(self) -> None:
        """Raise a :class:`~hotlang.errors.HotRuntimeError` (e.g. ``HotCancelled``) once the run must stop.

        Polled by the interpreter while a run waits (``sleep``, the run's time limit);
        a host whose runs cannot be stopped from outside does nothing.
        """
        ...

    def env(self, name: str) -> str | None:
        """The variable ``::hot::env/get(name)`` reads, or None when Hot code may not see it.

        The platform's host answers only for the variables its operator allow-listed, never
        from the service's own environment.
        """
        ...

    def http_options(self) -> HttpOptions:
        """Timeouts, size caps and egress policy of ``::hot::http`` in this run."""
        ...

    def traceparent(self, span: object | None) -> str:
        """The W3C ``traceparent`` of ``span`` (a span of the run's tracer; None: the current call),
        sent with outbound requests so the callee joins the run's trace; "" when the run is not traced."""
        ...


class NullHost:
    """The host outside any run: no events, no stream, no run info, output to stdout."""

    def now(self) -> datetime:
        """The UTC wall clock."""
        return datetime.now(UTC)

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        raise HotRuntimeError("send is not available outside a run")

    def stream_data(self, data_type: str, payload: Any) -> None:
        return None

    def print(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def info(self) -> dict[str, Any] | None:
        """Outside a run there is none: ``info()`` is null."""
        return None

    def check_cancelled(self) -> None:
        """Nothing stops a call outside a run but its limits."""
        return None

    def env(self, name: str) -> str | None:
        """The local CLI (``hot run``) is the user's own process: its environment is theirs to read."""
        return os.environ.get(name)

    def http_options(self) -> HttpOptions:
        """The local CLI calls what the user's machine can reach, local servers included (:data:`LOCAL_HTTP`)."""
        return LOCAL_HTTP

    def traceparent(self, span: object | None) -> str:
        """No trace outside a run."""
        return ""


@dataclass
class SentEvent:
    """One ``send`` recorded by :class:`RecordingHost`."""

    event_type: str
    data: Any
    info: dict[str, Any]


@dataclass
class RecordingHost:
    """A host for tests: records sends, stream data and output; returns a fake EventInfo.

    ``env_vars`` are the variables ``::hot::env/get`` sees (the field cannot be called ``env``:
    that is the :class:`Host` method reading it).

    Thread-safe, so one instance can serve concurrent calls.
    """

    stream_id: str = "stream_test"
    env_id: str = "env_test"
    sent: list[SentEvent] = field(default_factory=list)
    stream: list[tuple[str, Any]] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    clock: datetime | None = None
    env_vars: dict[str, str] = field(default_factory=dict)
    http: HttpOptions = LOCAL_HTTP
    """What ``http_options`` returns: local servers allowed, as a test's fake servers are local."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        info = {
            "event": {"id": f"evt_{uuid.uuid4().hex[:12]}", "type": event_type, "time": datetime.now(UTC).isoformat()},
            "stream": {"id": self.stream_id},
            "env": {"id": self.env_id},
        }
        with self._lock:
            self.sent.append(SentEvent(event_type, data, info))
        return info

    def now(self) -> datetime:
        """The clock ``::hot::time/now`` reads: :attr:`clock` if set, else the UTC wall clock."""
        return self.clock if self.clock is not None else datetime.now(UTC)

    def stream_data(self, data_type: str, payload: Any) -> None:
        with self._lock:
            self.stream.append((data_type, payload))

    def print(self, text: str) -> None:
        with self._lock:
            self.output.append(text)

    def info(self) -> dict[str, Any] | None:
        """No run to describe: ``info()`` is null (a test double may override this)."""
        return None

    def check_cancelled(self) -> None:
        """Never stops the run (a test double may override this)."""
        return None

    def env(self, name: str) -> str | None:
        """The variable from :attr:`env_vars` (the test's allow-list), never from ``os.environ``."""
        return self.env_vars.get(name)

    def http_options(self) -> HttpOptions:
        """:attr:`http`."""
        return self.http

    def traceparent(self, span: object | None) -> str:
        """Not traced."""
        return ""

    @property
    def printed(self) -> str:
        """Everything printed so far, concatenated."""
        return "".join(self.output)
