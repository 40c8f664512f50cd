"""Entry point: `python -m services.executor`."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from services.core import db, messaging, wire
from services.core.config import Settings
from services.core.grpcio import start_server
from services.core.pb import hot_executor_pb2 as pb
from services.core.pb import hot_executor_pb2_grpc as pb_grpc
from services.core.pb import hot_ingest_pb2 as ingest_pb
from services.core.pb import hot_ingest_pb2_grpc as ingest_grpc
from services.core.process import run_service
from services.executor.builds import BuildCache
from services.executor.consumer import EventConsumer
from services.executor.host import event_info
from services.executor.runner import EventRunner
from services.executor.servicer import ExecutorServicer

log = logging.getLogger("services.executor")


async def main(stop: asyncio.Event) -> None:
    settings = Settings.from_env()
    settings.require("database_url", "nats_url", "ingest_addr")
    await asyncio.to_thread(db.migrate, settings.database_url)
    pool = await db.open_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    nc = await messaging.connect(settings.nats_url, name="hot-executor")
    js = nc.jetstream()
    await messaging.ensure_event_stream(js)
    channel = grpc.aio.insecure_channel(settings.ingest_addr)
    ingest = ingest_grpc.IngestStub(channel)

    async def send(event_type: str, data: Any, env_id: str, stream_id: str, run_id: str) -> dict[str, Any]:
        request = ingest_pb.PublishEventRequest(env_id=env_id, event_type=event_type,
                                                event_data_json=wire.dumps(data), stream_id=stream_id,
                                                source_run_id=run_id, allow_reserved=True)
        event = await ingest.PublishEvent(request, timeout=10)
        return event_info(event.event_id, event.event_type,
                          wire.rfc3339(wire.ts_from_proto(event.event_time)),
                          event.stream_id, event.env_id)

    async def publish(subject: str, body: bytes) -> None:
        await nc.publish(subject, body)

    builds = BuildCache(pool)
    threads = ThreadPoolExecutor(max_workers=settings.executor_concurrency, thread_name_prefix="hot-run")
    runner = EventRunner(pool, builds, send=send, publish=publish, threads=threads,
                         run_timeout_s=settings.run_timeout_s)
    servicer = ExecutorServicer(runner.counters, builds)
    server, port, _ = await start_server(
        settings.grpc_listen, lambda s: pb_grpc.add_ExecutorServicer_to_server(servicer, s),
        [pb.DESCRIPTOR.services_by_name["Executor"].full_name],
    )
    log.info("executor listening on port %d", port)
    consumer = EventConsumer(js, runner, concurrency=settings.executor_concurrency)
    await consumer.run(stop)
    log.info("executor stopped pulling; in-flight runs drained")
    await server.stop(grace=2)
    await channel.close()
    await nc.drain()
    await pool.close()
    threads.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    run_service("executor", main)
