"""Installing the live half of the gateway into its aiohttp application: the per-stream fan-out,
SSE options, caps and shutdown, and the stream and environment routes."""

from __future__ import annotations

from aiohttp import web

from services.core.config import Settings
from services.gateway.fanout import StreamFanout
from services.gateway.routes_env import env_routes
from services.gateway.routes_streams import stream_routes
from services.gateway.sse import SseRegistry
from services.gateway.sse_limits import SseLimiter
from services.gateway.state import FANOUT, SSE_CHANNELS, SSE_LIMITER, SSE_OPTIONS, STREAMS


def add_streaming(app: web.Application, settings: Settings) -> None:
    """Call after `add_clients` and before adding the other route tables: aiohttp matches routes
    in registration order, so `/v1/runs/stats` must come before `/v1/runs/{run_id}`."""
    app[FANOUT] = StreamFanout(app[STREAMS])
    app[SSE_OPTIONS] = settings.sse
    app[SSE_CHANNELS] = SseRegistry()
    app[SSE_LIMITER] = SseLimiter(settings.sse_caps)
    app.add_routes(env_routes)
    app.add_routes(stream_routes)

    async def end_sse(app: web.Application) -> None:
        app[SSE_CHANNELS].close_all()  # long-lived responses must not hold up a graceful stop

    app.on_shutdown.append(end_sse)
