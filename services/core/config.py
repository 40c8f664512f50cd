"""Configuration from environment variables (12-factor): one typed object per process.

Every service reads `Settings.from_env()` once at start-up. Defaults are for local
development; nothing defaults to the well-known NATS or PostgreSQL ports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from exc


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
        auth_cache_ttl_s: how long the gateway trusts a verified API key (`HOT_AUTH_CACHE_TTL`, 10 s).
        rate_limit_rps: gateway requests per second per organisation (`HOT_RATE_LIMIT_RPS`, 0 = unlimited).
        shutdown_grace_s: on SIGTERM, how long in-flight runs may finish (`HOT_SHUTDOWN_GRACE`, 30 s).
        version: reported by `GET /status` (`HOT_VERSION`).
        git_sha: reported by `GET /status` (`HOT_GIT_SHA`).
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
    auth_cache_ttl_s: float = 10.0
    shutdown_grace_s: float = 30.0
    rate_limit_rps: float = 0.0
    version: str = "0.1.0"
    git_sha: str = "unknown"

    @classmethod
    def from_env(cls) -> Settings:
        """Read every setting from the environment, validating numbers."""
        return cls(
            database_url=os.environ.get("DATABASE_URL", ""),
            nats_url=os.environ.get("NATS_URL", ""),
            ingest_addr=os.environ.get("HOT_INGEST_ADDR", ""),
            scheduler_addr=os.environ.get("HOT_SCHEDULER_ADDR", ""),
            grpc_listen=os.environ.get("HOT_GRPC_LISTEN", "127.0.0.1:0"),
            http_host=os.environ.get("HOT_HTTP_HOST", "127.0.0.1"),
            http_port=_int("HOT_HTTP_PORT", 4681),
            db_pool_min=_int("HOT_DB_POOL_MIN", 1),
            db_pool_max=_int("HOT_DB_POOL_MAX", 10),
            run_timeout_s=_float("HOT_RUN_TIMEOUT", 300.0),
            executor_concurrency=_int("HOT_EXECUTOR_CONCURRENCY", 32),
            auth_cache_ttl_s=_float("HOT_AUTH_CACHE_TTL", 10.0),
            shutdown_grace_s=_float("HOT_SHUTDOWN_GRACE", 30.0),
            rate_limit_rps=_float("HOT_RATE_LIMIT_RPS", 0.0),
            version=os.environ.get("HOT_VERSION", "0.1.0"),
            git_sha=os.environ.get("HOT_GIT_SHA", "unknown"),
        )

    def require(self, *names: str) -> None:
        """Fail with one clear message naming every required setting that is empty."""
        env_names = {"database_url": "DATABASE_URL", "nats_url": "NATS_URL", "ingest_addr": "HOT_INGEST_ADDR"}
        missing = [env_names.get(n, n) for n in names if not getattr(self, n)]
        if missing:
            raise SystemExit(f"missing required environment variable(s): {', '.join(missing)}")
