"""Typed settings: every variable parsed once, defaults documented, bad values named."""

from __future__ import annotations

import pytest

from services.core.config import RetentionSettings, Settings, SettingsError, SseCaps, TracingSettings
from services.devtools.settings import DevSettings


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.ack_wait_s == 60.0 and settings.log_level == "INFO" and not settings.scheduler_backfill
    assert settings.tracing == TracingSettings(interpreter_spans=True, otlp_endpoint="")
    assert settings.sse_caps == SseCaps(enforce=False, per_credential=128, per_org=1024, total=10_000)
    assert settings.faults.exit_before_publish == ""


def test_values_are_parsed_into_their_sections() -> None:
    settings = Settings.from_env({
        "HOT_ACK_WAIT": "3", "HOT_SCHEDULER_BACKFILL": "yes", "HOT_LOG_LEVEL": "debug", "HOT_TRACING": "off",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "HOT_SSE_CAP_MODE": "Enforce",
        "HOT_SSE_CAP_GLOBAL": "5", "HOT_SSE_MAX_SECONDS": "1.5", "HOT_FAULT_EXIT_BEFORE_PUBLISH": "fault:x",
    })
    assert settings.ack_wait_s == 3.0 and settings.scheduler_backfill and settings.log_level == "DEBUG"
    assert settings.tracing == TracingSettings(interpreter_spans=False, otlp_endpoint="http://collector:4317")
    assert settings.sse_caps.enforce and settings.sse_caps.total == 5
    assert settings.sse.max_seconds == 1.5
    assert settings.faults.exit_before_publish == "fault:x"


@pytest.mark.parametrize(("name", "value"), [
    ("HOT_ACK_WAIT", "soon"), ("HOT_HTTP_PORT", "80.5"), ("HOT_TRACING", "sometimes"),
    ("HOT_SSE_CAP_MODE", "block"), ("HOT_LOG_LEVEL", "chatty"), ("HOT_EXECUTOR_CONCURRENCY", "0"),
])
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_dev_settings_read_the_stack_and_the_platform() -> None:
    dev = DevSettings.from_env({"HOT_DEV_EXECUTORS": "2", "PG_PORT": "5999", "PG_BINDIR": "/opt/pg/bin",
                                "NATS_URL": "nats://127.0.0.1:4333"})
    assert dev.executors == 2 and dev.stack.pg_port == 5999 and dev.stack.pg_bindir == "/opt/pg/bin"
    assert dev.stack.pg_run_as == "nobody" and dev.platform.nats_url == "nats://127.0.0.1:4333"
    with pytest.raises(SettingsError, match="HOT_DEV_EXECUTORS"):
        DevSettings.from_env({"HOT_DEV_EXECUTORS": "0"})


def test_retention_defaults_and_values() -> None:
    assert Settings.from_env({}).retention == RetentionSettings(
        events_days=30, runs_days=30, spans_days=7, schedule_log_days=30, dead_letters_days=30,
        sweep_interval_s=600.0, batch_size=1000, batch_pause_s=0.05, events_max_age_days=7,
        events_max_bytes=1024 ** 3)
    retention = Settings.from_env({
        "HOT_RETAIN_EVENTS_DAYS": "0", "HOT_RETAIN_RUNS_DAYS": "90", "HOT_RETAIN_SPANS_DAYS": "2",
        "HOT_RETAIN_SCHEDULE_LOG_DAYS": "3", "HOT_RETAIN_DEAD_LETTERS_DAYS": "4", "HOT_RETENTION_SWEEP_SECONDS": "60",
        "HOT_RETENTION_BATCH_SIZE": "500", "HOT_RETENTION_BATCH_PAUSE_SECONDS": "0", "HOT_EVENTS_MAX_AGE_DAYS": "1",
        "HOT_EVENTS_MAX_BYTES": "0"}).retention
    assert retention == RetentionSettings(events_days=0, runs_days=90, spans_days=2, schedule_log_days=3,
                                          dead_letters_days=4, sweep_interval_s=60.0, batch_size=500,
                                          batch_pause_s=0.0, events_max_age_days=1, events_max_bytes=0)


@pytest.mark.parametrize(("name", "value"), [
    ("HOT_RETAIN_EVENTS_DAYS", "-1"), ("HOT_RETAIN_RUNS_DAYS", "1.5"), ("HOT_RETAIN_SPANS_DAYS", "week"),
    ("HOT_RETAIN_SCHEDULE_LOG_DAYS", "-2"), ("HOT_RETAIN_DEAD_LETTERS_DAYS", "x"),
    ("HOT_RETENTION_SWEEP_SECONDS", "0"), ("HOT_RETENTION_SWEEP_SECONDS", "nan"), ("HOT_RETENTION_BATCH_SIZE", "0"),
    ("HOT_RETENTION_BATCH_PAUSE_SECONDS", "-0.1"), ("HOT_EVENTS_MAX_AGE_DAYS", "-7"), ("HOT_EVENTS_MAX_BYTES", "1GiB"),
])
def test_a_bad_retention_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_sandbox_settings_and_the_code_env_allow_list() -> None:
    sandbox = Settings.from_env({
        "HOT_EXECUTOR_WORKERS": "3", "HOT_WORKER_MEMORY_MB": "256", "HOT_LOAD_TIMEOUT": "2.5",
        "HOT_CODE_ENV": " GREETING, MISSING ,", "GREETING": "hi", "DATABASE_URL": "postgresql://secret",
        "HOT_MAX_RESULT_BYTES": "100", "HOT_MAX_OUTPUT_BYTES": "0", "HOT_MAX_STREAM_PAYLOAD_BYTES": "10",
        "HOT_MAX_SPANS_PER_RUN": "7",
    }).sandbox
    assert (sandbox.workers, sandbox.memory_mb, sandbox.load_timeout_s) == (3, 256, 2.5)
    assert dict(sandbox.code_env) == {"GREETING": "hi"}  # only allow-listed names that are set
    assert (sandbox.max_result_bytes, sandbox.max_output_bytes, sandbox.max_stream_payload_bytes,
            sandbox.max_spans_per_run) == (100, 0, 10, 7)
    assert Settings.from_env({}).sandbox.code_env == {}
    sizes = Settings.from_env({"HOT_RUN_MAX_BYTES": "4096", "HOT_RUN_MAX_ITEMS": "2000",
                               "HOT_RUN_MAX_INT_DIGITS": "500", "HOT_RUN_MAX_THREADS": "0"}).sandbox
    assert (sizes.run_max_bytes, sizes.run_max_items, sizes.run_max_int_digits, sizes.run_max_threads) == (
        4096, 2000, 500, 0)
    with pytest.raises(SettingsError, match="HOT_RUN_MAX_INT_DIGITS"):
        Settings.from_env({"HOT_RUN_MAX_INT_DIGITS": "many"})
    with pytest.raises(SettingsError, match="HOT_EXECUTOR_WORKERS must be at least 1"):
        Settings.from_env({"HOT_EXECUTOR_WORKERS": "0"})
