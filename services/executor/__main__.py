"""Entry point: `python -m services.executor`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import grpc
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider

from services.core import db, messaging, subjects, wire
from services.core.config import Settings
from services.core.grpcio import start_server
from services.core.pb import hot_executor_pb2 as pb
from services.core.pb import hot_executor_pb2_grpc as pb_grpc
from services.core.pb import hot_ingest_pb2 as ingest_pb
from services.core.pb import hot_ingest_pb2_grpc as ingest_grpc
from services.core.pb import hot_scheduler_pb2_grpc as sched_grpc
from services.core.process import run_service
from services.executor import store
from services.executor.builds import BuildCache
from services.executor.builtins import ScheduleBuiltins
from services.executor.consumer import EventConsumer
from services.executor.host import event_info
from services.executor.routing import Routing
from services.executor.runner import EventRunner
from services.executor.servicer import ExecutorServicer
from services.executor.trace_store import RunSpanStore
from services.executor.tracing import interpreter_tracing_enabled

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

    async def send(event_type: str, data: Any, env_id: str, stream_id: str, run_id: str,
                   traceparent: str) -> dict[str, Any]:
        request = ingest_pb.PublishEventRequest(env_id=env_id, event_type=event_type,
                                                event_data_json=wire.dumps(data), stream_id=stream_id,
                                                source_run_id=run_id, allow_reserved=True)
        # This task runs in its own context copy: the sending run's span becomes the parent of the RPC.
        otel_context.attach(propagate.extract({"traceparent": traceparent}))
        event = await ingest.PublishEvent(request, timeout=10)
        return event_info(event.event_id, event.event_type,
                          wire.rfc3339(wire.ts_from_proto(event.event_time)),
                          event.stream_id, event.env_id)

    async def publish(subject: str, body: bytes) -> None:
        await nc.publish(subject, body)

    trace_calls = interpreter_tracing_enabled()
    span_store = RunSpanStore()
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(span_store)
    span_writer = asyncio.create_task(span_store.run_writer(pool, stop))
    builds = BuildCache(pool, traced=trace_calls)
    builtins = None
    if settings.scheduler_addr:
        scheduler_channel = grpc.aio.insecure_channel(settings.scheduler_addr)
        builtins = ScheduleBuiltins(pool, sched_grpc.SchedulerStub(scheduler_channel))
    else:
        log.warning("HOT_SCHEDULER_ADDR is not set: hot:schedule:new/cancel runs will fail")
    # Deployed builds are parsed before their first event needs them: at start and on each deploy.
    warming: set[asyncio.Task[None]] = set()

    def preload(build_id: str) -> None:
        task = asyncio.create_task(builds.warm([build_id]))
        warming.add(task)
        task.add_done_callback(warming.discard)

    routing = Routing(pool, settings.database_url, on_deploy=preload)
    listener = asyncio.create_task(routing.listen(stop))
    for build_id in await store.all_deployed_build_ids(pool):
        preload(build_id)
    runner = EventRunner(pool, builds, routing, send=send, publish=publish, run_timeout_s=settings.run_timeout_s,
                         builtins=builtins, trace_calls=trace_calls)

    async def on_control(msg: Msg) -> None:
        try:
            command = json.loads(msg.data)
        except ValueError:
            return
        run_id = command.get("run_id") if command.get("type") == "run:cancel" else None
        if isinstance(run_id, str) and runner.cancel_local(run_id):
            log.info("run %s cancelled while running here", run_id)

    await nc.subscribe(subjects.CONTROL_SUBJECTS, cb=on_control)
    servicer = ExecutorServicer(runner.counters, builds)
    server, port, _ = await start_server(
        settings.grpc_listen, lambda s: pb_grpc.add_ExecutorServicer_to_server(servicer, s),
        [pb.DESCRIPTOR.services_by_name["Executor"].full_name],
    )
    log.info("executor listening on port %d", port)
    consumer = EventConsumer(js, runner, concurrency=settings.executor_concurrency,
                             shutdown_grace_s=settings.shutdown_grace_s)
    await consumer.run(stop)
    log.info("executor stopped pulling; in-flight runs drained")
    listener.cancel()
    await span_writer
    await server.stop(grace=2)
    await channel.close()
    await nc.drain()
    await pool.close()


if __name__ == "__main__":
    run_service("executor", main)
