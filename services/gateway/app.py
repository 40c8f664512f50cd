"""Building the gateway's aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from services.core.config import Settings
from services.gateway import envelope
from services.gateway.auth import TokenCache, auth_middleware
from services.gateway.ingest_client import IngestClient
from services.gateway.ratelimit import TokenBuckets, rate_limit_middleware
from services.gateway.routes import routes
from services.gateway.routes_schedules import add_schedules
from services.gateway.routes_traces import add_traces
from services.gateway.state import INGEST, SETTINGS, STARTED_AT
from services.gateway.streaming import add_streaming
from services.gateway.tracing import trace_middleware


def create_app(settings: Settings) -> web.Application:
    ingest = IngestClient(settings.ingest_addr)
    cache = TokenCache(ingest, settings.auth_cache_ttl_s)
    middlewares = [trace_middleware, envelope.error_middleware, auth_middleware(cache)]
    if settings.rate_limit_rps > 0:
        middlewares.append(rate_limit_middleware(TokenBuckets(settings.rate_limit_rps)))
    app = web.Application(middlewares=middlewares,
                          client_max_size=2 * 1024 * 1024)
    app[INGEST] = ingest
    app[SETTINGS] = settings
    app[STARTED_AT] = datetime.now(UTC)
    add_streaming(app, settings)  # before `routes`: /v1/runs/stats must win over /v1/runs/{run_id}
    app.add_routes(routes)
    add_schedules(app, settings.scheduler_addr)
    add_traces(app, settings.ingest_addr)

    async def close_ingest(_: web.Application) -> AsyncIterator[None]:
        yield
        await ingest.close()

    app.cleanup_ctx.append(close_ingest)
    return app
