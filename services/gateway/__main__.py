"""Entry point: `python -m services.gateway`."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from services.core.config import Settings
from services.core.process import run_service
from services.gateway.app import create_app

log = logging.getLogger("services.gateway")


async def main(settings: Settings, stop: asyncio.Event) -> None:
    settings.require("ingest_addr")
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, reuse_address=True)
    await site.start()
    log.info("gateway listening on http://%s:%d", settings.http_host, settings.http_port)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    run_service("gateway", main)
