"""The in-process stack of the integration tests: a real PostgreSQL database per test (fresh
schema, its own advisory locks), real NATS, and an in-process ingest gRPC server, so fires travel
the production path: PublishEvent → event row → JetStream.

This module and `servers.py` are where tests reach into product internals to assemble services;
test modules import the code they test and, for everything else, this package."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg
from psycopg.conninfo import make_conninfo

from services.core import db, messaging
from services.core.config import ContextSettings, SandboxSettings
from services.core.grpcio import start_server
from services.core.pb import hot_ingest_pb2_grpc as ingest_grpc
from services.core.pb import hot_scheduler_pb2_grpc as scheduler_grpc
from services.core.secretbox import SecretBox, new_key
from services.devtools.credentials import ensure_dev_environment
from services.ingest.context_store import ContextStore
from services.ingest.deploy import deploy_build
from services.ingest.publisher import EventPublisher
from services.ingest.servicer import IngestServicer
from services.sandbox.pool import WorkerPool
from services.scheduler.clock import Clock, SystemClock
from services.scheduler.ingest_sink import IngestSink
from services.scheduler.servicer import SchedulerServicer

SECRETS_KEY = new_key()
"""The stack's HOT_SECRETS_KEY (context values are encrypted with it)."""
LOAD_TIMEOUT_S = 3.0
"""The stack's load time limit for a build's top-level code (HOT_LOAD_TIMEOUT; short, for the tests)."""


@dataclass
class Stack:
    """One test's database, pool, environment and ingest server."""

    dsn: str
    pool: db.Pool
    env_id: str
    ingest_addr: str
    sink: IngestSink
    token: str
    sandbox: WorkerPool
    """One worker process, where deploys and static-schedule discovery load builds."""

    async def deploy(self, files: dict[str, str], project: str = "app") -> str:
        result = await deploy_build(self.pool, self.env_id, project, files, sandbox=self.sandbox)
        return result.build_id

    async def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def schedule_events(self) -> list[dict[str, Any]]:
        return await self.rows("SELECT event_id::text, stream_id::text, event_data, event_time FROM hot.event "
                               "WHERE event_type = 'hot:schedule' ORDER BY event_data->>'scheduled_at', event_id")

    def scheduler_server(self, clock: Clock | None = None) -> SchedulerServer:
        return SchedulerServer(self, clock or SystemClock())


class SchedulerServer:
    """The Scheduler gRPC servicer on a free port, with a client stub."""

    def __init__(self, stack: Stack, clock: Clock) -> None:
        self._servicer = SchedulerServicer(stack.pool, clock.now, stack.sandbox)
        self._server: Any = None
        self._channel: Any = None
        self.stub: scheduler_grpc.SchedulerStub
        self.address = ""

    async def __aenter__(self) -> SchedulerServer:
        self._server, port, _ = await start_server(
            "127.0.0.1:0", lambda s: scheduler_grpc.add_SchedulerServicer_to_server(self._servicer, s), [])
        self.address = f"127.0.0.1:{port}"
        self._channel = grpc.aio.insecure_channel(self.address)
        self.stub = scheduler_grpc.SchedulerStub(self._channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close()
        await self._server.stop(grace=0)


def dev_environment(dsn: str, *, org_name: str = "org", env_name: str = "dev") -> tuple[str, str]:
    """Create (or keep) an org, an environment and a full-access API key on a migrated database;
    returns (env_id, api token)."""
    return ensure_dev_environment(dsn, org_name=org_name, env_name=env_name)


@asynccontextmanager
async def open_stack(pg_dsn: str, nats_url: str) -> AsyncIterator[Stack]:
    """A fresh database on the server at `pg_dsn`, migrated, with ingest serving on a free port."""
    name = f"sched_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    dsn = make_conninfo(pg_dsn, dbname=name)
    await asyncio.to_thread(db.migrate, dsn)
    env_id, token = await asyncio.to_thread(dev_environment, dsn)
    pool = await db.open_pool(dsn, min_size=1, max_size=12)
    nc = await messaging.connect(nats_url, name="test-ingest")
    js = nc.jetstream()
    await messaging.ensure_event_stream(js)
    sandbox = WorkerPool(SandboxSettings(load_timeout_s=LOAD_TIMEOUT_S), size=1, name="test")
    await sandbox.start()
    servicer = IngestServicer(pool, EventPublisher(js, pool), nc, sandbox=sandbox,
                              context=ContextStore(pool, SecretBox(SECRETS_KEY), ContextSettings()))
    server, port, _ = await start_server("127.0.0.1:0",
                                         lambda s: ingest_grpc.add_IngestServicer_to_server(servicer, s), [])
    sink = IngestSink(f"127.0.0.1:{port}")
    try:
        yield Stack(dsn, pool, env_id, f"127.0.0.1:{port}", sink, token, sandbox)
    finally:
        await sandbox.close()
        await sink.close()
        await server.stop(grace=0)
        await nc.close()
        await pool.close()
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
