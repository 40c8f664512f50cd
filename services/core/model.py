"""Domain types shared by the services: plain frozen dataclasses, no wire types."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class RunStatus(enum.IntEnum):
    """Run statuses; the values are the ids of table `hot.run_status`."""

    RUNNING = 1
    SUCCEEDED = 2
    FAILED = 3
    CANCELLED = 4
    PENDING_RETRY = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def terminal(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)

    @classmethod
    def from_label(cls, label: str) -> RunStatus:
        return cls[label.upper()]


class RunType(enum.IntEnum):
    """Run types; the values are the ids of table `hot.run_type`."""

    CALL = 1
    EVENT = 2
    SCHEDULE = 3
    RUN = 4
    EVAL = 5
    REPL = 6
    TASK = 7

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> RunType:
        return cls[label.upper()]

    @classmethod
    def for_event_type(cls, event_type: str) -> RunType:
        """The run type a handler run gets for an event of `event_type`."""
        if event_type == "hot:call":
            return cls.CALL
        if event_type == "hot:schedule":
            return cls.SCHEDULE
        return cls.EVENT


DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 500
RESERVED_PREFIX = "hot:"
PUBLIC_RESERVED_TYPES = frozenset({"hot:call"})


@dataclass(frozen=True)
class Event:
    event_id: str
    env_id: str
    stream_id: str
    event_type: str
    event_data: Any
    event_time: datetime
    created_at: datetime
    handled: bool = False
    source_run_id: str | None = None
    # Set on retry copies: the run being retried, the one handler to run, and the attempt number.
    retry_of_run_id: str | None = None
    target_handler_id: str | None = None
    retry_attempt: int = 0


@dataclass(frozen=True)
class Run:
    run_id: str
    env_id: str
    stream_id: str
    run_type: RunType
    status: RunStatus
    start_time: datetime
    build_id: str | None = None
    stop_time: datetime | None = None
    origin_run_id: str | None = None
    event_id: str | None = None
    result: Any = None
    project_id: str | None = None
    project_name: str | None = None
    retry_attempt: int = 0
    next_retry_at: datetime | None = None
    fn_name: str | None = None
    output: str | None = None
    """What the run printed (capped at HOT_MAX_OUTPUT_BYTES); None when it printed nothing."""
    output_truncated: bool = False


@dataclass(frozen=True)
class Stream:
    """A stream's durable record: the correlation of a workflow's events and runs."""

    stream_id: str
    env_id: str
    created_at: datetime
    started_at: datetime
    last_activity_at: datetime
    total_runs: int
    total_events: int
    total_duration_ms: int


@dataclass(frozen=True)
class QueuedEvent:
    """The work-queue message for an event: a pointer (executors re-read the event from PostgreSQL)."""

    event_id: str
    env_id: str
    traceparent: str = ""
    replay: bool = False
    """A replay of a dead-lettered event: processed like a redelivery (earlier runs reconciled)."""


@dataclass(frozen=True)
class StreamDetail:
    """A stream with its newest runs and events and this process's live counters."""

    stream: Stream
    runs: list[Run]
    events: list[Event]
    live_subscribers: int
    messages_sent: int
    bytes_sent: int
    last_error: str | None


@dataclass(frozen=True)
class StreamData:
    """A `::hot::stream/data` item as subscribers receive it; the payload stays JSON text."""

    stream_data_id: str
    run_id: str
    data_type: str
    payload_json: str


@dataclass(frozen=True)
class StreamMessage:
    """One message of a stream subscription; `kind` is the SSE event name (platform-spec §5.4).

    Lifecycle messages carry the run as re-read from PostgreSQL, `stream:data` its data,
    and the `replay:done` marker neither."""

    kind: str
    run: Run | None = None
    data: StreamData | None = None

    @property
    def run_id(self) -> str:
        if self.run is not None:
            return self.run.run_id
        return self.data.run_id if self.data is not None else ""


@dataclass(frozen=True)
class EnvNotice:
    """One environment-feed notice: its kind and its flat JSON payload (platform-spec §5.4)."""

    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class RunStats:
    """Counts of an environment's runs by status (task runs excluded)."""

    total_runs: int
    running: int
    succeeded: int
    failed: int
    cancelled: int
    pending_retry: int


@dataclass(frozen=True)
class Env:
    env_id: str
    org_id: str
    name: str
    active: bool


@dataclass(frozen=True)
class DeadLetter:
    """An event JetStream gave up delivering, with its event and replay history."""

    dead_letter_id: str
    env_id: str
    deliveries: int
    reason: str
    created_at: datetime
    replayed_at: datetime | None
    replay_count: int
    event: Event


@dataclass(frozen=True)
class Schedule:
    """A schedule; `next_fire_at` is when an active one fires next, where known."""

    schedule_id: str
    env_id: str
    project_id: str
    build_id: str
    ns: str
    var: str
    cron: str                   # as written; '@at:<rfc3339>' for one-time
    cron_normalized: str | None
    expression: str
    kind: str                   # 'static' | 'dynamic' | 'once'
    run_at: datetime | None
    args: list[Any] | None
    active: bool
    created_at: datetime
    deactivated_at: datetime | None = None
    next_fire_at: datetime | None = None

    @property
    def fn(self) -> str:
        return f"{self.ns}/{self.var}"


@dataclass(frozen=True)
class SpanEvent:
    name: str
    time: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceSpan:
    """One stored span of a run's execution trace (platform-spec §7)."""

    span_id: str
    trace_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_time: datetime
    end_time: datetime
    duration_us: int
    status: str
    status_message: str | None
    attributes: dict[str, Any]
    events: list[SpanEvent]


@dataclass(frozen=True)
class DeployResult:
    build_id: str
    project_id: str
    handlers: list[Handler]
    changed: bool
    warnings: tuple[str, ...] = ()
    """E.g. required context keys no variable sets (integrations-spec §2.3)."""


@dataclass(frozen=True)
class Handler:
    """A deployed `on-event` handler."""

    event_handler_id: str
    build_id: str
    project_id: str
    event_type: str
    ns: str
    var: str
    meta: Any = None

    @property
    def qualified(self) -> str:
        return f"{self.ns}/{self.var}"


@dataclass(frozen=True)
class Page:
    """A clamped page request: limit in 1..500 (default 20), offset ≥ 0."""

    limit: int = 20
    offset: int = 0

    @classmethod
    def clamp(cls, limit: int | None, offset: int | None) -> Page:
        lim = DEFAULT_PAGE_LIMIT if not limit else max(1, min(MAX_PAGE_LIMIT, limit))
        return cls(limit=lim, offset=max(0, offset or 0))


@dataclass(frozen=True)
class PageOf(Generic[T]):
    items: list[T]
    total: int
    page: Page

    @property
    def has_more(self) -> bool:
        return self.page.offset + self.page.limit < self.total


@dataclass(frozen=True)
class Principal:
    env_id: str
    org_id: str
    credential_id: str
    kind: str
    permissions: dict[str, list[str]]


def failure_result(msg: str, err: Any = None) -> dict[str, Any]:
    """The stored `result` of a failed run (platform-spec §1.5)."""
    return {"$type": "::hot::run/Failure", "$val": {"msg": msg, "err": err}}


def cancellation_result(msg: str, data: Any = None) -> dict[str, Any]:
    """The stored `result` of a cancelled run (platform-spec §1.5)."""
    return {"$type": "::hot::run/Cancellation", "$val": {"msg": msg, "data": data}}


@dataclass(frozen=True)
class ContextVariable:
    """A context variable as the API shows it: a secret's `value` is `context.MASK`, never the value.
    `value` is None in lists (values are only read one key at a time)."""

    key: str
    description: str | None
    secret: bool
    created_at: datetime
    updated_at: datetime
    project_id: str | None = None
    value: Any = None
