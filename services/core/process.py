"""Running a service process: settings, logging, the event loop, and graceful stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

from services.core.config import Settings, SettingsError
from services.core.telemetry import setup_tracing


def configure_logging(service: str, level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr,
                        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")


def run_service(service: str, main: Callable[[Settings, asyncio.Event], Awaitable[None]]) -> None:
    """Read the settings once, then run `main(settings, stop)` until it returns; SIGTERM and
    SIGINT set `stop` so it can drain and exit. A bad setting stops the process with its message."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise SystemExit(f"hot-{service}: {exc}") from None
    configure_logging(service, settings.log_level)
    setup_tracing(f"hot-{service}", settings.tracing)
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
        await main(settings, stop)

    runner(wrapper())
