"""The executor's object graph: what `python -m services.executor` builds, runs and closes.

Nothing here decides anything about runs; each piece lives in its own module:
`consumer` (JetStream pulls and acks), `runner` (one event's runs, executed in the worker
processes of `services.sandbox`), `builds` (functions of builds, loaded in a worker on deploy),
`routing` (handlers per event type), `control` (cancel commands), `ingest_events` (`send`),
`builtins` (schedule handlers), `trace_store` (spans).
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.client import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from services.core import db, messaging
from services.core.clients import SchedulerClient
from services.core.config import Settings
from services.core.grpcio import start_server
from services.core.pb import hot_executor_pb2 as pb
from services.core.pb import hot_executor_pb2_grpc as pb_grpc
from services.executor import store
from services.executor.builds import BuildCache
from services.executor.builtins import ScheduleBuiltins
from services.executor.consumer import EventConsumer
from services.executor.context import ContextLoader
from services.executor.control import ControlListener
from services.executor.host import PublishFn
from services.executor.ingest_events import IngestEvents
from services.executor.routing import Routing
from services.executor.runner import EventRunner
from services.executor.servicer import ExecutorServicer
from services.executor.trace_store import RunSpanStore
from services.sandbox.pool import WorkerPool

log = logging.getLogger("services.executor")


def live_publisher(nc: Client) -> PublishFn:
    """Core NATS publish for live pings and stream data (`host.PublishFn`)."""

    async def publish(subject: str, body: bytes) -> None:
        await nc.publish(subject, body)

    return publish


def schedule_builtins(pool: db.Pool, scheduler_addr: str) -> tuple[ScheduleBuiltins | None, SchedulerClient | None]:
    """`hot:schedule:new` / `hot:schedule:cancel` over the scheduler's API, when it is configured."""
    if not scheduler_addr:
        log.warning("HOT_SCHEDULER_ADDR is not set: hot:schedule:new/cancel runs will fail")
        return None, None
    client = SchedulerClient(scheduler_addr)
    return ScheduleBuiltins(pool, client), client


async def run_executor(settings: Settings, stop: asyncio.Event) -> None:
    """Build the graph, pull events until `stop` is set, drain in-flight runs, then close."""
    settings.require("database_url", "nats_url", "ingest_addr")
    box = settings.context.box()  # a missing HOT_SECRETS_KEY stops the start here, naming it
    await asyncio.to_thread(db.migrate, settings.database_url)
    pool = await db.open_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    nc = await messaging.connect(settings.nats_url, name="hot-executor")
    js = nc.jetstream()
    await messaging.ensure_event_stream(js, settings.retention)
    ingest_events = IngestEvents(settings.ingest_addr)

    trace_calls = settings.tracing.interpreter_spans
    span_store = RunSpanStore()
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(span_store)
    span_writer = asyncio.create_task(span_store.run_writer(pool, stop))

    async def build_files(build_id: str) -> dict[str, str]:
        return await store.build_files(pool, build_id)

    # The executor never runs Hot code itself: every load and call goes to a worker process.
    sandbox = WorkerPool(settings.sandbox, files_of=build_files, name="executor")
    await sandbox.start()
    builds = BuildCache(pool, sandbox, traced=trace_calls)
    builtins, scheduler_client = schedule_builtins(pool, settings.scheduler_addr)
    # Deployed builds are parsed before their first event needs them: at start and on each deploy.
    routing = Routing(pool, settings.database_url, on_deploy=builds.preload)
    listener = asyncio.create_task(routing.listen(stop))
    for build_id in await store.all_deployed_build_ids(pool):
        builds.preload(build_id)
    runner = EventRunner(pool, builds, routing, sandbox=sandbox, send=ingest_events.publish_from_run,
                         publish=live_publisher(nc),
                         run_timeout_s=settings.run_timeout_s, builtins=builtins, trace_calls=trace_calls,
                         context=ContextLoader(pool, box, ttl_s=settings.context.cache_ttl_s,
                                               dev_file=settings.context.dev_context_file))
    await ControlListener(runner).subscribe(nc)

    servicer = ExecutorServicer(runner.counters, builds)
    server, port, _ = await start_server(
        settings.grpc_listen, lambda s: pb_grpc.add_ExecutorServicer_to_server(servicer, s),
        [pb.DESCRIPTOR.services_by_name["Executor"].full_name],
    )
    log.info("executor listening on port %d", port)
    consumer = EventConsumer(js, runner, concurrency=settings.executor_concurrency,
                             ack_wait_s=settings.ack_wait_s, shutdown_grace_s=settings.shutdown_grace_s)
    await consumer.run(stop)
    log.info("executor stopped pulling; in-flight runs drained")
    listener.cancel()
    await span_writer
    await server.stop(grace=2)
    await ingest_events.close()
    if scheduler_client is not None:
        await scheduler_client.close()
    await sandbox.close()
    await nc.drain()
    await pool.close()
