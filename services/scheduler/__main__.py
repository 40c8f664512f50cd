"""Entry point: `python -m services.scheduler`."""

from __future__ import annotations

import asyncio
import logging

from services.core import db
from services.core.config import Settings
from services.core.grpcio import start_server
from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc
from services.core.process import run_service
from services.scheduler.servicer import SchedulerServicer

log = logging.getLogger("services.scheduler")


async def main(stop: asyncio.Event) -> None:
    settings = Settings.from_env()
    settings.require("database_url")
    await asyncio.to_thread(db.migrate, settings.database_url)
    servicer = SchedulerServicer()
    server, port, _ = await start_server(
        settings.grpc_listen, lambda s: pb_grpc.add_SchedulerServicer_to_server(servicer, s),
        [pb.DESCRIPTOR.services_by_name["Scheduler"].full_name],
    )
    log.info("scheduler listening on port %d", port)
    await stop.wait()
    await server.stop(grace=2)


if __name__ == "__main__":
    run_service("scheduler", main)
