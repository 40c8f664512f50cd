"""Entry point: `python -m services.ingest`."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc

from services.core import db, messaging
from services.core.config import Settings
from services.core.grpcio import start_server
from services.core.pb import hot_ingest_pb2 as pb
from services.core.pb import hot_ingest_pb2_grpc as pb_grpc
from services.core.pb import hot_streams_pb2 as streams_pb
from services.core.pb import hot_streams_pb2_grpc as streams_grpc
from services.core.pb import hot_traces_pb2 as traces_pb
from services.core.pb import hot_traces_pb2_grpc as traces_grpc
from services.core.process import run_service
from services.ingest.context_store import ContextStore
from services.ingest.deadletters import DeadLetterListener
from services.ingest.publisher import EventPublisher
from services.ingest.servicer import IngestServicer
from services.ingest.streams.hub import LiveHub
from services.ingest.streams.servicer import StreamsServicer
from services.ingest.traces.servicer import TracesServicer
from services.sandbox.pool import WorkerPool

log = logging.getLogger("services.ingest")


async def main(settings: Settings, stop: asyncio.Event) -> None:
    settings.require("database_url", "nats_url")
    box = settings.context.box()  # a missing HOT_SECRETS_KEY stops the start here, naming it
    await asyncio.to_thread(db.migrate, settings.database_url)
    pool = await db.open_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    nc = await messaging.connect(settings.nats_url, name="hot-ingest")
    js = nc.jetstream()
    await messaging.ensure_event_stream(js, settings.retention)
    publisher = EventPublisher(js, pool)
    # Deploys load builds (their top-level code runs) in a worker process, never on this event loop.
    sandbox = WorkerPool(settings.sandbox, size=1, name="ingest")
    await sandbox.start()
    servicer = IngestServicer(pool, publisher, nc, sandbox=sandbox, limits=settings.limits,
                              fault_exit_before_publish=settings.faults.exit_before_publish,
                              context=ContextStore(pool, box, settings.context),
                              strict_context=settings.context.strict_deploy)
    await DeadLetterListener(nc, js, pool).start()
    streams = StreamsServicer(pool, LiveHub(nc, pool))

    def register(server: grpc.aio.Server) -> None:
        pb_grpc.add_IngestServicer_to_server(servicer, server)
        streams_grpc.add_StreamsServicer_to_server(streams, server)
        traces_grpc.add_TracesServicer_to_server(TracesServicer(pool), server)

    server, port, _ = await start_server(
        settings.grpc_listen, register,
        [pb.DESCRIPTOR.services_by_name["Ingest"].full_name,
         streams_pb.DESCRIPTOR.services_by_name["Streams"].full_name,
         traces_pb.DESCRIPTOR.services_by_name["Traces"].full_name],
    )
    log.info("ingest listening on port %d", port)
    background = [asyncio.create_task(publisher.run_sweeper()), asyncio.create_task(publisher.run_ack_recorder())]
    await stop.wait()
    log.info("ingest stopping")
    await server.stop(grace=5)
    await sandbox.close()
    for task in background:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await publisher.flush_acked()
    await nc.drain()
    await pool.close()


if __name__ == "__main__":
    run_service("ingest", main)
