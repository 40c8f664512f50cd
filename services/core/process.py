"""Running a service process: logging, the event loop, and graceful stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from services.core.telemetry import setup_tracing


def configure_logging(service: str) -> None:
    level = os.environ.get("HOT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, stream=sys.stderr,
                        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")


def run_service(service: str, main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)` until it returns; SIGTERM and SIGINT set `stop` so it can drain and exit."""
    configure_logging(service)
    setup_tracing(f"hot-{service}")
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        runner = asyncio.run
    else:
        runner = uvloop.run  # type: ignore[assignment]

    async def wrapper() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    runner(wrapper())
