"""Configuration from environment variables (12-factor): typed, frozen settings objects.

Every service process parses `Settings.from_env()` once at start-up (`process.run_service`
does it) and passes the parts down as constructor arguments; no other module reads the
environment. Defaults are for local development; nothing defaults to the well-known NATS or
PostgreSQL ports. A bad value fails start-up with a `SettingsError` naming the variable.
Development tooling has its own settings (`services/devtools/settings.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.core.secretbox import SecretBox, SecretsKeyError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """An environment variable holds a value its setting cannot take."""


class EnvReader:
    """Typed reads of one environment mapping. An unset or blank variable gives the default;
    anything else must parse, or a `SettingsError` names the variable and the value."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str:
        return self._env.get(name, "").strip()

    def text(self, name: str, default: str = "") -> str:
        return self._raw(name) or default

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self._raw(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise SettingsError(f"environment variable {name} must be an integer, got {raw!r}") from exc
        if minimum is not None and value < minimum:
            raise SettingsError(f"environment variable {name} must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float) -> float:
        raw = self._raw(name)
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError as exc:
            raise SettingsError(f"environment variable {name} must be a number, got {raw!r}") from exc

    def flag(self, name: str, default: bool) -> bool:
        raw = self._raw(name).lower()
        if not raw:
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise SettingsError(f"environment variable {name} must be one of {', '.join(_TRUE + _FALSE)}, got {raw!r}")

    def choice(self, name: str, default: str, choices: tuple[str, ...], *, upper: bool = False) -> str:
        raw = self._raw(name)
        value = (raw.upper() if upper else raw.lower()) if raw else default
        if value not in choices:
            raise SettingsError(f"environment variable {name} must be one of {', '.join(choices)}, got {raw!r}")
        return value


@dataclass(frozen=True)
class TracingSettings:
    """Tracing (read by `telemetry.setup_tracing` and the executor).

    Attributes:
        interpreter_spans: a span per Hot call and flow (`HOT_TRACING`, default on). Off, only
            each run's `hot.run` root span is recorded and programs run the compiled fast path.
        otlp_endpoint: also export spans over OTLP when set (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
            else `OTEL_EXPORTER_OTLP_ENDPOINT`; default empty: no export). The OTLP exporter
            reads the standard `OTEL_EXPORTER_OTLP_*` variables itself (endpoint, headers, TLS).
    """

    interpreter_spans: bool = True
    otlp_endpoint: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TracingSettings:
        read = EnvReader(env)
        return cls(interpreter_spans=read.flag("HOT_TRACING", True),
                   otlp_endpoint=read.text("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                   or read.text("OTEL_EXPORTER_OTLP_ENDPOINT"))


@dataclass(frozen=True)
class SseOptions:
    """The gateway's SSE connection settings.

    Attributes:
        max_seconds: connection cap from connection start (`HOT_SSE_MAX_SECONDS`, default 300);
            stream subscriptions end with `stream:complete`, others end silently.
        keepalive_s: interval of keepalive comments (`HOT_SSE_KEEPALIVE_SECONDS`, default 15).
        max_backlog_bytes: bytes a slow client may be behind before it is dropped
            (`HOT_SSE_MAX_BACKLOG_BYTES`, default 4 MiB).
    """

    max_seconds: float = 300.0
    keepalive_s: float = 15.0
    max_backlog_bytes: int = 4 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SseOptions:
        read = EnvReader(env)
        return cls(max_seconds=read.number("HOT_SSE_MAX_SECONDS", 300.0),
                   keepalive_s=read.number("HOT_SSE_KEEPALIVE_SECONDS", 15.0),
                   max_backlog_bytes=int(read.number("HOT_SSE_MAX_BACKLOG_BYTES", 4 * 1024 * 1024)))


@dataclass(frozen=True)
class SseCaps:
    """The gateway's concurrent SSE connection caps (platform-spec §5.7).

    Attributes:
        enforce: refuse a connection over a cap with 429 (`HOT_SSE_CAP_MODE=enforce`) instead of
            only counting and logging it (`observe`, the default).
        per_credential: open connections per API key (`HOT_SSE_CAP_PER_CREDENTIAL`, default 128).
        per_org: open connections per organisation (`HOT_SSE_CAP_PER_ORG`, default 1024).
        total: open connections of the gateway process (`HOT_SSE_CAP_GLOBAL`, default 10000).
    """

    enforce: bool = False
    per_credential: int = 128
    per_org: int = 1024
    total: int = 10_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SseCaps:
        read = EnvReader(env)
        return cls(enforce=read.choice("HOT_SSE_CAP_MODE", "observe", ("observe", "enforce")) == "enforce",
                   per_credential=read.integer("HOT_SSE_CAP_PER_CREDENTIAL", 128),
                   per_org=read.integer("HOT_SSE_CAP_PER_ORG", 1024),
                   total=read.integer("HOT_SSE_CAP_GLOBAL", 10_000))


DAY_S = 86_400.0
GIB = 1024 * 1024 * 1024


@dataclass(frozen=True)
class RetentionSettings:
    """How long data is kept (read by the scheduler leader's retention sweeper,
    `services/scheduler/retention.py`) and the JetStream limits of the `HOT_EVENTS` stream (read
    by ingest and the executor when they declare it). Every age is in whole days; 0 keeps forever.

    Attributes:
        events_days: events, by `created_at` (`HOT_RETAIN_EVENTS_DAYS`, default 30). An event is
            kept while any run or dead letter refers to it, while it is unpublished, and while
            it is incomplete and the stream may still deliver it.
        runs_days: terminal runs (succeeded, failed, cancelled) with their spans, by stop time
            (`HOT_RETAIN_RUNS_DAYS`, default 30). `running` and `pending_retry` runs are kept.
        spans_days: trace spans of terminal runs, by end time (`HOT_RETAIN_SPANS_DAYS`, default 7).
        schedule_log_days: schedule fires, by `executed_at` (`HOT_RETAIN_SCHEDULE_LOG_DAYS`,
            default 30); each schedule's latest fire is kept, schedules themselves always.
        dead_letters_days: dead letters, by their latest replay or else their creation
            (`HOT_RETAIN_DEAD_LETTERS_DAYS`, default 30), replayed or not.
        sweep_interval_s: seconds between two sweeps (`HOT_RETENTION_SWEEP_SECONDS`, default 600).
        batch_size: rows deleted per statement (`HOT_RETENTION_BATCH_SIZE`, default 1000).
        batch_pause_s: pause between two batches, so the sweep never hogs the database
            (`HOT_RETENTION_BATCH_PAUSE_SECONDS`, default 0.05).
        events_max_age_days: JetStream drops a queued event message older than this
            (`HOT_EVENTS_MAX_AGE_DAYS`, default 7; 0: no limit). The event row stays in PostgreSQL.
        events_max_bytes: bytes the stream may hold; once full, publishes are refused and the
            outbox sweeper re-publishes them later (`HOT_EVENTS_MAX_BYTES`, default 1 GiB; 0: no limit).
    """

    events_days: int = 30
    runs_days: int = 30
    spans_days: int = 7
    schedule_log_days: int = 30
    dead_letters_days: int = 30
    sweep_interval_s: float = 600.0
    batch_size: int = 1000
    batch_pause_s: float = 0.05
    events_max_age_days: int = 7
    events_max_bytes: int = GIB

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RetentionSettings:
        read = EnvReader(env)
        interval = read.number("HOT_RETENTION_SWEEP_SECONDS", 600.0)
        if not interval > 0:
            raise SettingsError(f"environment variable HOT_RETENTION_SWEEP_SECONDS must be above 0, got {interval}")
        pause = read.number("HOT_RETENTION_BATCH_PAUSE_SECONDS", 0.05)
        if not pause >= 0:
            raise SettingsError(
                f"environment variable HOT_RETENTION_BATCH_PAUSE_SECONDS must be at least 0, got {pause}")
        return cls(events_days=read.integer("HOT_RETAIN_EVENTS_DAYS", 30, minimum=0),
                   runs_days=read.integer("HOT_RETAIN_RUNS_DAYS", 30, minimum=0),
                   spans_days=read.integer("HOT_RETAIN_SPANS_DAYS", 7, minimum=0),
                   schedule_log_days=read.integer("HOT_RETAIN_SCHEDULE_LOG_DAYS", 30, minimum=0),
                   dead_letters_days=read.integer("HOT_RETAIN_DEAD_LETTERS_DAYS", 30, minimum=0),
                   sweep_interval_s=interval,
                   batch_size=read.integer("HOT_RETENTION_BATCH_SIZE", 1000, minimum=1),
                   batch_pause_s=pause,
                   events_max_age_days=read.integer("HOT_EVENTS_MAX_AGE_DAYS", 7, minimum=0),
                   events_max_bytes=read.integer("HOT_EVENTS_MAX_BYTES", GIB, minimum=0))


@dataclass(frozen=True)
class InputLimits:
    """Bounds on what callers may send (the gateway and ingest check them; see `services.core.jsonsafe`).

    Attributes:
        max_json_depth: containers nested deeper than this in a request body or in event data
            (hence call and schedule arguments) are refused with 400 (`HOT_MAX_JSON_DEPTH`, default 64).
            Run results have their own, fixed cap (`jsonsafe.STORED_MAX_DEPTH`, 1000).
        max_event_bytes: bytes of a REST request body and of an event's JSON data
            (`HOT_MAX_EVENT_BYTES`, default 1 MiB): 413 `payload_too_large` beyond it.
        max_event_type_length: characters of an event type (`HOT_MAX_EVENT_TYPE_LENGTH`, default 256).
        max_name_length: characters of a project, function or schedule expression, a cancel reason
            and other short caller strings (`HOT_MAX_NAME_LENGTH`, default 1024).
    """

    max_json_depth: int = 64
    max_event_bytes: int = 1024 * 1024
    max_event_type_length: int = 256
    max_name_length: int = 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> InputLimits:
        read = EnvReader(env)
        return cls(max_json_depth=read.integer("HOT_MAX_JSON_DEPTH", 64, minimum=1),
                   max_event_bytes=read.integer("HOT_MAX_EVENT_BYTES", 1024 * 1024, minimum=1024),
                   max_event_type_length=read.integer("HOT_MAX_EVENT_TYPE_LENGTH", 256, minimum=1),
                   max_name_length=read.integer("HOT_MAX_NAME_LENGTH", 1024, minimum=1))


@dataclass(frozen=True)
class HttpSettings:
    """`::hot::http`, the outbound HTTP client of Hot code (sent to every sandbox worker).

    Attributes:
        connect_timeout_s: seconds to open a connection, TLS included (`HOT_HTTP_CONNECT_TIMEOUT`, default 30).
        request_timeout_s: seconds for a whole buffered request, redirects and body included
            (`HOT_HTTP_REQUEST_TIMEOUT`, default 120).
        stream_timeout_s: seconds for a whole streamed response (`request-stream` and friends): a
            longer stream fails part-way (`HOT_HTTP_STREAM_TIMEOUT`, default 300).
        max_response_bytes: largest buffered body; a larger Content-Length is refused before reading
            (`HOT_HTTP_MAX_RESPONSE_BYTES`, default 10 MiB).
        max_stream_bytes: bytes one streamed body may deliver in total; past it the next pull fails
            (`HOT_HTTP_MAX_STREAM_BYTES`, default 16 MiB).
        max_redirects: redirects followed per request (`HOT_HTTP_MAX_REDIRECTS`, default 10).
        allow: comma-separated host patterns (`api.example.com`, `*.example.com`) or networks
            (`10.1.0.0/16`) (`HOT_HTTP_ALLOW`, default empty: any public host). When set, only what it
            matches may be called, and what it matches may be a private address too.
        deny: the same forms, always refused, before `allow` (`HOT_HTTP_DENY`, default empty).
        allow_private: whether Hot code may call non-public addresses: loopback, RFC 1918,
            link-local, CGNAT, unique-local (`HOT_HTTP_ALLOW_PRIVATE`, default off; `hot dev` turns it
            on). Cloud metadata addresses (169.254.169.254, fd00:ec2::254, metadata.google.internal…)
            stay refused unless `HOT_HTTP_ALLOW` names them.
    """

    connect_timeout_s: float = 30.0
    request_timeout_s: float = 120.0
    stream_timeout_s: float = 300.0
    max_response_bytes: int = 10 * 1024 * 1024
    max_stream_bytes: int = 16 * 1024 * 1024
    max_redirects: int = 10
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    allow_private: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> HttpSettings:
        read = EnvReader(env)

        def patterns(name: str) -> tuple[str, ...]:
            return tuple(part.strip().lower() for part in read.text(name).split(",") if part.strip())

        timeouts = {}
        for field_name, name, default in (("connect_timeout_s", "HOT_HTTP_CONNECT_TIMEOUT", 30.0),
                                          ("request_timeout_s", "HOT_HTTP_REQUEST_TIMEOUT", 120.0),
                                          ("stream_timeout_s", "HOT_HTTP_STREAM_TIMEOUT", 300.0)):
            value = read.number(name, default)
            if value <= 0:
                raise SettingsError(f"environment variable {name} must be above 0, got {value}")
            timeouts[field_name] = value
        return cls(**timeouts,
                   max_response_bytes=read.integer("HOT_HTTP_MAX_RESPONSE_BYTES", 10 * 1024 * 1024, minimum=1),
                   max_stream_bytes=read.integer("HOT_HTTP_MAX_STREAM_BYTES", 16 * 1024 * 1024, minimum=1),
                   max_redirects=read.integer("HOT_HTTP_MAX_REDIRECTS", 10, minimum=0),
                   allow=patterns("HOT_HTTP_ALLOW"), deny=patterns("HOT_HTTP_DENY"),
                   allow_private=read.flag("HOT_HTTP_ALLOW_PRIVATE", False))


@dataclass(frozen=True)
class SandboxSettings:
    """Worker processes that run Hot code for the executor, ingest and the scheduler (`services/sandbox`).

    Attributes:
        workers: worker processes of the executor's pool (`HOT_EXECUTOR_WORKERS`, default 4). A run
            holds a worker from its start to its end (also while it waits on `send` or `sleep`);
            runs beyond the pool wait for a free worker. `HOT_EXECUTOR_CONCURRENCY` bounds the
            events an executor has in flight and should be at least this; more workers than cores
            only helps runs that wait. Ingest and the scheduler keep one worker each for loading.
        memory_mb: each worker's memory limit in MB (`HOT_WORKER_MEMORY_MB`, default 1024): its
            address space (`RLIMIT_AS`), and its resident memory as sampled by the parent. A run
            over it fails with "Run exceeded the memory limit of N MB".
        load_timeout_s: seconds a build's top-level code may run while it loads, at deploy and
            before its first run (`HOT_LOAD_TIMEOUT`, default 10).
        code_env: the variables Hot code may read with `::hot::env/get` (`HOT_CODE_ENV`: comma-separated
            names, default none), with their values read from the service's environment at start.
        max_result_bytes: largest run result, as JSON (`HOT_MAX_RESULT_BYTES`, default 1 MiB).
        max_output_bytes: `print` output stored per run; the rest is cut and marked
            (`HOT_MAX_OUTPUT_BYTES`, default 64 KiB).
        max_stream_payload_bytes: largest `::hot::stream/data` item (`HOT_MAX_STREAM_PAYLOAD_BYTES`,
            default 256000).
        max_spans_per_run: interpreter spans recorded per run; later calls run unrecorded, counted in
            `hot.spans_dropped` (`HOT_MAX_SPANS_PER_RUN`, default 10000).
        run_max_bytes / run_max_items / run_max_int_digits / run_max_threads: the interpreter's size
            limits for every run and build load (`hotlang.Limits`, decision 0018): largest Str or
            Bytes in bytes (`HOT_RUN_MAX_BYTES`, 64 MiB), longest Vec or Map (`HOT_RUN_MAX_ITEMS`,
            10,000,000), largest Int in decimal digits (`HOT_RUN_MAX_INT_DIGITS`, 100,000), and
            concurrent `parallel`/`pmap` branch threads per run (`HOT_RUN_MAX_THREADS`, 16; beyond
            it branches run inline).
        http: `::hot::http` timeouts, size caps and egress policy, see `HttpSettings`.
    """

    workers: int = 4
    memory_mb: int = 1024
    load_timeout_s: float = 10.0
    code_env: Mapping[str, str] = field(default_factory=dict)
    max_result_bytes: int = 1024 * 1024
    max_output_bytes: int = 64 * 1024
    max_stream_payload_bytes: int = 256_000
    max_spans_per_run: int = 10_000
    run_max_bytes: int = 64 * 1024 * 1024
    run_max_items: int = 10_000_000
    run_max_int_digits: int = 100_000
    run_max_threads: int = 16
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SandboxSettings:
        read = EnvReader(env)
        names = [name.strip() for name in read.text("HOT_CODE_ENV").split(",") if name.strip()]
        return cls(workers=read.integer("HOT_EXECUTOR_WORKERS", 4, minimum=1),
                   memory_mb=read.integer("HOT_WORKER_MEMORY_MB", 1024, minimum=128),
                   load_timeout_s=read.number("HOT_LOAD_TIMEOUT", 10.0),
                   code_env={name: env[name] for name in names if name in env},
                   max_result_bytes=read.integer("HOT_MAX_RESULT_BYTES", 1024 * 1024, minimum=1),
                   max_output_bytes=read.integer("HOT_MAX_OUTPUT_BYTES", 64 * 1024, minimum=0),
                   max_stream_payload_bytes=read.integer("HOT_MAX_STREAM_PAYLOAD_BYTES", 256_000, minimum=1),
                   max_spans_per_run=read.integer("HOT_MAX_SPANS_PER_RUN", 10_000, minimum=0),
                   run_max_bytes=read.integer("HOT_RUN_MAX_BYTES", 64 * 1024 * 1024, minimum=1024),
                   run_max_items=read.integer("HOT_RUN_MAX_ITEMS", 10_000_000, minimum=1000),
                   run_max_int_digits=read.integer("HOT_RUN_MAX_INT_DIGITS", 100_000, minimum=100),
                   run_max_threads=read.integer("HOT_RUN_MAX_THREADS", 16, minimum=0),
                   http=HttpSettings.from_env(env))


@dataclass(frozen=True)
class FaultSettings:
    """Fault injection for the crash-recovery tests; empty (off) in every real deployment.

    Attributes:
        exit_before_publish: an event type; ingest exits the process (code 86) after committing
            such an event and before publishing it (`HOT_FAULT_EXIT_BEFORE_PUBLISH`, default off).
    """

    exit_before_publish: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FaultSettings:
        return cls(exit_before_publish=EnvReader(env).text("HOT_FAULT_EXIT_BEFORE_PUBLISH"))


@dataclass(frozen=True)
class ContextSettings:
    """Context variables and secrets (integrations-spec §2; docs/decisions/0022).

    Attributes:
        secrets_key: the AES-256-GCM key context values are encrypted with, 32 bytes in base64
            (`HOT_SECRETS_KEY`). Required by ingest and the executor: they refuse to start without
            it (`hot dev` generates one into `.devdata/secrets.key`).
        cache_ttl_s: how long an executor reuses an environment's decrypted context before reading
            it again (`HOT_CONTEXT_CACHE_TTL`, default 1 s; 0 reads it for every run). A set or
            delete is seen by runs that start after at most this long.
        max_value_bytes: the largest context value, as JSON text (`HOT_MAX_CONTEXT_VALUE_BYTES`,
            default 65536).
        max_key_length: the longest context key (`HOT_MAX_CONTEXT_KEY_LENGTH`, default 256).
        max_keys: context variables per scope, an environment or a project
            (`HOT_MAX_CONTEXT_KEYS`, default 1000).
        strict_deploy: a deploy whose `meta {ctx}` requires keys no variable sets is refused
            (400) instead of warned about (`HOT_DEPLOY_STRICT_CTX`, default false).
        dev_context_file: a JSON file holding the lowest context layer (`HOT_DEV_CONTEXT_FILE`);
            `hot dev` writes it from the project's `hot/ctx.hot` and rewrites it when that file or
            `.env` changes; the executor re-reads it when it changes. Unset in production.
    """

    secrets_key: str = ""
    cache_ttl_s: float = 1.0
    max_value_bytes: int = 65536
    max_key_length: int = 256
    max_keys: int = 1000
    strict_deploy: bool = False
    dev_context_file: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ContextSettings:
        read = EnvReader(env)
        ttl = read.number("HOT_CONTEXT_CACHE_TTL", 1.0)
        if not 0 <= ttl <= 1:
            raise SettingsError(f"environment variable HOT_CONTEXT_CACHE_TTL must be from 0 to 1 second, got {ttl}")
        return cls(secrets_key=read.text("HOT_SECRETS_KEY"), cache_ttl_s=ttl,
                   max_value_bytes=read.integer("HOT_MAX_CONTEXT_VALUE_BYTES", 65536, minimum=1),
                   max_key_length=read.integer("HOT_MAX_CONTEXT_KEY_LENGTH", 256, minimum=1),
                   max_keys=read.integer("HOT_MAX_CONTEXT_KEYS", 1000, minimum=1),
                   strict_deploy=read.flag("HOT_DEPLOY_STRICT_CTX", False),
                   dev_context_file=read.text("HOT_DEV_CONTEXT_FILE"))

    def box(self) -> SecretBox:
        """The cipher of context values; SystemExit naming `HOT_SECRETS_KEY` when it is missing or bad."""
        try:
            return SecretBox(self.secrets_key)
        except SecretsKeyError as err:
            raise SystemExit(f"cannot start: {err}") from None


@dataclass(frozen=True)
class Settings:
    """Process settings.

    Attributes:
        database_url: PostgreSQL DSN (`DATABASE_URL`). Required by ingest, executor, scheduler.
        nats_url: NATS server URL (`NATS_URL`). Required by ingest and executor.
        ingest_addr: `host:port` of the ingest gRPC server (`HOT_INGEST_ADDR`), used by
            the gateway, executor and scheduler.
        scheduler_addr: `host:port` of the scheduler gRPC API (`HOT_SCHEDULER_ADDR`), used by the
            gateway and the executor's built-in schedule handlers.
        grpc_listen: address a gRPC service listens on (`HOT_GRPC_LISTEN`, default `127.0.0.1:0`).
        http_host / http_port: where the gateway listens (`HOT_HTTP_HOST`, `HOT_HTTP_PORT`,
            default 127.0.0.1:4681).
        db_pool_min / db_pool_max: connection pool bounds (`HOT_DB_POOL_MIN`=1, `HOT_DB_POOL_MAX`=10).
        run_timeout_s: default per-run timeout in seconds (`HOT_RUN_TIMEOUT`, default 300).
        executor_concurrency: runs an executor process executes at once (`HOT_EXECUTOR_CONCURRENCY`, 32).
        ack_wait_s: seconds JetStream waits for an executor's ack or in-progress heartbeat before
            redelivering an event (`HOT_ACK_WAIT`, default 60).
        auth_cache_ttl_s: how long the gateway trusts a verified API key (`HOT_AUTH_CACHE_TTL`, 10 s).
        rate_limit_rps: gateway requests per second per organisation (`HOT_RATE_LIMIT_RPS`, 0 = unlimited).
        shutdown_grace_s: on SIGTERM, how long in-flight runs may finish (`HOT_SHUTDOWN_GRACE`, 30 s).
        scheduler_backfill: the scheduler replays fires missed while no leader ran
            (`HOT_SCHEDULER_BACKFILL`, default false).
        log_level: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL` (`HOT_LOG_LEVEL`, default INFO).
        version: reported by `GET /status` (`HOT_VERSION`).
        git_sha: reported by `GET /status` (`HOT_GIT_SHA`).
        tracing: see `TracingSettings`.
        sse / sse_caps: the gateway's SSE settings, see `SseOptions` and `SseCaps`.
        retention: data lifetime and the events stream's limits, see `RetentionSettings`.
        limits: bounds on caller input and stored JSON, see `InputLimits`.
        faults: test-only fault injection, see `FaultSettings`.
        sandbox: worker processes for Hot code and their limits, see `SandboxSettings`.
        context: context variables, secrets and their encryption key, see `ContextSettings`.
    """

    database_url: str = ""
    nats_url: str = ""
    ingest_addr: str = ""
    scheduler_addr: str = ""
    grpc_listen: str = "127.0.0.1:0"
    http_host: str = "127.0.0.1"
    http_port: int = 4681
    db_pool_min: int = 1
    db_pool_max: int = 10
    run_timeout_s: float = 300.0
    executor_concurrency: int = 32
    ack_wait_s: float = 60.0
    auth_cache_ttl_s: float = 10.0
    shutdown_grace_s: float = 30.0
    rate_limit_rps: float = 0.0
    scheduler_backfill: bool = False
    log_level: str = "INFO"
    version: str = "0.1.0"
    git_sha: str = "unknown"
    tracing: TracingSettings = field(default_factory=TracingSettings)
    sse: SseOptions = field(default_factory=SseOptions)
    sse_caps: SseCaps = field(default_factory=SseCaps)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    limits: InputLimits = field(default_factory=InputLimits)
    faults: FaultSettings = field(default_factory=FaultSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    context: ContextSettings = field(default_factory=ContextSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Read every setting from `env` (the process environment by default), validating values."""
        read = EnvReader(env)
        return cls(
            database_url=read.text("DATABASE_URL"),
            nats_url=read.text("NATS_URL"),
            ingest_addr=read.text("HOT_INGEST_ADDR"),
            scheduler_addr=read.text("HOT_SCHEDULER_ADDR"),
            grpc_listen=read.text("HOT_GRPC_LISTEN", "127.0.0.1:0"),
            http_host=read.text("HOT_HTTP_HOST", "127.0.0.1"),
            http_port=read.integer("HOT_HTTP_PORT", 4681, minimum=0),
            db_pool_min=read.integer("HOT_DB_POOL_MIN", 1, minimum=0),
            db_pool_max=read.integer("HOT_DB_POOL_MAX", 10, minimum=1),
            run_timeout_s=read.number("HOT_RUN_TIMEOUT", 300.0),
            executor_concurrency=read.integer("HOT_EXECUTOR_CONCURRENCY", 32, minimum=1),
            ack_wait_s=read.number("HOT_ACK_WAIT", 60.0),
            auth_cache_ttl_s=read.number("HOT_AUTH_CACHE_TTL", 10.0),
            shutdown_grace_s=read.number("HOT_SHUTDOWN_GRACE", 30.0),
            rate_limit_rps=read.number("HOT_RATE_LIMIT_RPS", 0.0),
            scheduler_backfill=read.flag("HOT_SCHEDULER_BACKFILL", False),
            log_level=read.choice("HOT_LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
            version=read.text("HOT_VERSION", "0.1.0"),
            git_sha=read.text("HOT_GIT_SHA", "unknown"),
            tracing=TracingSettings.from_env(env),
            sse=SseOptions.from_env(env),
            sse_caps=SseCaps.from_env(env),
            retention=RetentionSettings.from_env(env),
            limits=InputLimits.from_env(env),
            faults=FaultSettings.from_env(env),
            sandbox=SandboxSettings.from_env(env),
            context=ContextSettings.from_env(env),
        )

    def require(self, *names: str) -> None:
        """Fail with one clear message naming every required setting that is empty."""
        env_names = {"database_url": "DATABASE_URL", "nats_url": "NATS_URL", "ingest_addr": "HOT_INGEST_ADDR",
                     "scheduler_addr": "HOT_SCHEDULER_ADDR"}
        missing = [env_names.get(n, n) for n in names if not getattr(self, n)]
        if missing:
            raise SystemExit(f"missing required environment variable(s): {', '.join(missing)}")
