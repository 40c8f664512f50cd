"""Entry point: `python -m services.scheduler`.

Settings (`services.core.config.Settings`): DATABASE_URL (required), HOT_INGEST_ADDR (required:
fires and retries go through ingest), HOT_GRPC_LISTEN, HOT_SCHEDULER_BACKFILL, and retention
(`RetentionSettings`: HOT_RETAIN_*_DAYS, HOT_RETENTION_*).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.core import db
from services.core.config import Settings
from services.core.grpcio import start_server
from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc
from services.core.process import run_service
from services.sandbox.pool import WorkerPool
from services.scheduler.clock import SystemClock
from services.scheduler.ingest_sink import IngestSink
from services.scheduler.node import SchedulerNode
from services.scheduler.retention import RetentionSweeper
from services.scheduler.retries import RetryDispatcher
from services.scheduler.servicer import SchedulerServicer

log = logging.getLogger("services.scheduler")


async def main(settings: Settings, stop: asyncio.Event) -> None:
    settings.require("database_url", "ingest_addr")
    await asyncio.to_thread(db.migrate, settings.database_url)
    pool = await db.open_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    clock = SystemClock()
    sink = IngestSink(settings.ingest_addr)
    # Static schedules are read from builds loaded in a worker process, never in this one.
    sandbox = WorkerPool(settings.sandbox, size=1, name="scheduler")
    await sandbox.start()
    node = SchedulerNode(settings.database_url, pool, sink, clock, sandbox=sandbox,
                         backfill=settings.scheduler_backfill)

    def status() -> tuple[bool, int]:
        return node.is_leader, node.loop.active_count if node.loop else 0

    servicer = SchedulerServicer(pool, clock.now, sandbox, status)
    server, port, _ = await start_server(
        settings.grpc_listen, lambda s: pb_grpc.add_SchedulerServicer_to_server(servicer, s),
        [pb.DESCRIPTOR.services_by_name["Scheduler"].full_name],
    )
    log.info("scheduler listening on port %d", port)
    election = asyncio.create_task(node.run(stop))
    # Due retries (pending_retry runs) are handed to ingest by the leader.
    retries = RetryDispatcher(pool, sink, clock)
    retry_task = asyncio.create_task(retries.run(stop, is_leader=lambda: node.is_leader))
    # Old rows are deleted by the leader too, off the hot path, in small batches.
    sweeper = RetentionSweeper(pool, clock, settings.retention)
    retention_task = asyncio.create_task(sweeper.run(stop, is_leader=lambda: node.is_leader))
    await stop.wait()
    await retry_task
    await retention_task
    log.info("scheduler stopping")
    election.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await election
    await server.stop(grace=2)
    await sink.close()
    await sandbox.close()
    await pool.close()


if __name__ == "__main__":
    run_service("scheduler", main)
